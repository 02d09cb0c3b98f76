package raftfsm

import (
	"errors"
	"slices"
	"sort"
	"time"
)

// Identity errors returned by the identity commands.
var (
	ErrUserExists        = errors.New("raftfsm: user already exists")
	ErrUserNotFound      = errors.New("raftfsm: user not found")
	ErrPolicyExists      = errors.New("raftfsm: policy already exists")
	ErrPolicyNotFound    = errors.New("raftfsm: policy not found")
	ErrPolicyAttached    = errors.New("raftfsm: policy is attached to users")
	ErrPolicyPredefined  = errors.New("raftfsm: pre-defined policies cannot be changed")
	ErrTooManyPolicies   = errors.New("raftfsm: too many custom policies")
	ErrTooManyUsers      = errors.New("raftfsm: too many users")
	ErrNoPolicyAttached  = errors.New("raftfsm: user has no policy attached")
	ErrLastClusterAdmin  = errors.New("raftfsm: cannot delete the last cluster admin")
	ErrAccessKeyConflict = errors.New("raftfsm: access key already in use")
)

// Role is a user's role.
type Role string

// Roles.
const (
	// RoleClusterAdmin manages users, policies, buckets and the cluster, and
	// has full S3 access.
	RoleClusterAdmin Role = "clusteradmin"
	// RoleReadOnly may read admin state.
	RoleReadOnly Role = "readonly"
	// RoleS3 has S3 data access only, through its IAM policy.
	RoleS3 Role = "s3"
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	return r == RoleClusterAdmin || r == RoleReadOnly || r == RoleS3
}

// PredefinedPolicies are the built-in, immutable IAM policy names. Their
// documents live in package iam.
var PredefinedPolicies = []string{"readonly", "writeonly", "readwrite"}

// IsPredefinedPolicy reports whether name is a built-in policy.
func IsPredefinedPolicy(name string) bool { return slices.Contains(PredefinedPolicies, name) }

// User is a user's replicated record. Its name is its access key.
type User struct {
	Name string `json:"name"`
	Role Role   `json:"role"`
	// Secret is the secret key sealed with the cluster key (see Sealer).
	Secret []byte `json:"secret"`
	// UID and GID are the POSIX owner recorded on objects the user creates.
	UID uint32 `json:"uid"`
	GID uint32 `json:"gid"`
	// Policy is the attached IAM policy name; "" when none.
	Policy  string    `json:"policy,omitempty"`
	Created time.Time `json:"created"`
	Updated time.Time `json:"updated"`
}

// Policy is a custom IAM policy.
type Policy struct {
	Name     string    `json:"name"`
	Document string    `json:"document"`
	Created  time.Time `json:"created"`
}

type createUserCmd struct {
	User     User `json:"user"`
	MaxUsers int  `json:"max_users"`
}

// updateUserCmd changes the fields that are set.
type updateUserCmd struct {
	Name    string    `json:"name"`
	Secret  []byte    `json:"secret,omitempty"`
	UID     *uint32   `json:"uid,omitempty"`
	GID     *uint32   `json:"gid,omitempty"`
	Role    Role      `json:"role,omitempty"`
	Updated time.Time `json:"updated"`
}

type deleteUserCmd struct {
	Name string `json:"name"`
}

type putPolicyCmd struct {
	Policy      Policy `json:"policy"`
	MaxPolicies int    `json:"max_policies"`
}

type deletePolicyCmd struct {
	Name string `json:"name"`
}

type attachPolicyCmd struct {
	User   string `json:"user"`
	Policy string `json:"policy"` // "" detaches
}

func applyCreateUser(s *state, payload []byte) any {
	var c createUserCmd
	mustUnmarshal(CmdCreateUser, payload, &c)
	if _, ok := s.Users[c.User.Name]; ok {
		return ErrUserExists
	}
	if s.keyInUse(c.User.Name) {
		return ErrAccessKeyConflict
	}
	if c.MaxUsers > 0 && len(s.Users) >= c.MaxUsers {
		return ErrTooManyUsers
	}
	if c.User.Policy != "" && !s.policyExists(c.User.Policy) {
		return ErrPolicyNotFound
	}
	u := c.User
	s.Users[u.Name] = &u
	return nil
}

func applyUpdateUser(s *state, payload []byte) any {
	var c updateUserCmd
	mustUnmarshal(CmdUpdateUser, payload, &c)
	u, ok := s.Users[c.Name]
	if !ok {
		return ErrUserNotFound
	}
	nu := *u
	if c.Secret != nil {
		nu.Secret = c.Secret
	}
	if c.UID != nil {
		nu.UID = *c.UID
	}
	if c.GID != nil {
		nu.GID = *c.GID
	}
	if c.Role != "" {
		if u.Role == RoleClusterAdmin && c.Role != RoleClusterAdmin && s.countRole(RoleClusterAdmin) == 1 {
			return ErrLastClusterAdmin
		}
		nu.Role = c.Role
	}
	nu.Updated = c.Updated
	s.Users[c.Name] = &nu
	return nil
}

func applyDeleteUser(s *state, payload []byte) any {
	var c deleteUserCmd
	mustUnmarshal(CmdDeleteUser, payload, &c)
	u, ok := s.Users[c.Name]
	if !ok {
		return ErrUserNotFound
	}
	if u.Role == RoleClusterAdmin && s.countRole(RoleClusterAdmin) == 1 {
		return ErrLastClusterAdmin
	}
	delete(s.Users, c.Name)
	s.deleteUserCredentials(c.Name)
	return nil
}

func applyPutPolicy(s *state, payload []byte) any {
	var c putPolicyCmd
	mustUnmarshal(CmdPutPolicy, payload, &c)
	if IsPredefinedPolicy(c.Policy.Name) {
		return ErrPolicyPredefined
	}
	if _, ok := s.Policies[c.Policy.Name]; ok {
		return ErrPolicyExists
	}
	if c.MaxPolicies > 0 && len(s.Policies) >= c.MaxPolicies {
		return ErrTooManyPolicies
	}
	p := c.Policy
	s.Policies[p.Name] = &p
	return nil
}

func applyDeletePolicy(s *state, payload []byte) any {
	var c deletePolicyCmd
	mustUnmarshal(CmdDeletePolicy, payload, &c)
	if IsPredefinedPolicy(c.Name) {
		return ErrPolicyPredefined
	}
	if _, ok := s.Policies[c.Name]; !ok {
		return ErrPolicyNotFound
	}
	for _, u := range s.Users {
		if u.Policy == c.Name {
			return ErrPolicyAttached
		}
	}
	delete(s.Policies, c.Name)
	return nil
}

func applyAttachPolicy(s *state, payload []byte) any {
	var c attachPolicyCmd
	mustUnmarshal(CmdAttachPolicy, payload, &c)
	u, ok := s.Users[c.User]
	if !ok {
		return ErrUserNotFound
	}
	if c.Policy == "" && u.Policy == "" {
		return ErrNoPolicyAttached
	}
	if c.Policy != "" && !s.policyExists(c.Policy) {
		return ErrPolicyNotFound
	}
	nu := *u
	nu.Policy = c.Policy
	s.Users[c.User] = &nu
	return nil
}

func (s *state) policyExists(name string) bool {
	if IsPredefinedPolicy(name) {
		return true
	}
	_, ok := s.Policies[name]
	return ok
}

func (s *state) countRole(r Role) int {
	n := 0
	for _, u := range s.Users {
		if u.Role == r {
			n++
		}
	}
	return n
}

// User returns a copy of the named user's record.
func (f *FSM) User(name string) (User, bool) {
	f.mu.RLock()
	u, ok := f.st.Users[name]
	f.mu.RUnlock()
	if !ok {
		return User{}, false
	}
	return *u, true
}

// Users returns copies of all users sorted by name.
func (f *FSM) Users() []User {
	f.mu.RLock()
	out := make([]User, 0, len(f.st.Users))
	for _, u := range f.st.Users {
		out = append(out, *u)
	}
	f.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Policy returns a custom policy.
func (f *FSM) Policy(name string) (Policy, bool) {
	f.mu.RLock()
	p, ok := f.st.Policies[name]
	f.mu.RUnlock()
	if !ok {
		return Policy{}, false
	}
	return *p, true
}

// Policies returns all custom policies sorted by name.
func (f *FSM) Policies() []Policy {
	f.mu.RLock()
	out := make([]Policy, 0, len(f.st.Policies))
	for _, p := range f.st.Policies {
		out = append(out, *p)
	}
	f.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// UserAuth returns what authentication needs of the user whose access key
// is ak: its sealed secret, role, POSIX ids and policy name. It does not
// allocate; the returned slice must not be modified.
func (f *FSM) UserAuth(ak []byte) (u *User, ok bool) {
	f.mu.RLock()
	u, ok = f.st.Users[string(ak)]
	f.mu.RUnlock()
	return u, ok
}
