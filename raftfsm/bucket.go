package raftfsm

import (
	"errors"
	"time"
)

// Bucket errors returned by the bucket commands.
var (
	// ErrBucketExists: a bucket of that name exists.
	ErrBucketExists = errors.New("raftfsm: bucket already exists")
	// ErrBucketNotFound: no bucket of that name.
	ErrBucketNotFound = errors.New("raftfsm: bucket not found")
	// ErrTooManyBuckets: the cluster's bucket limit is reached.
	ErrTooManyBuckets = errors.New("raftfsm: too many buckets")
)

// Bucket is a bucket's replicated metadata. Values handed out by the FSM are
// copies: callers may keep them but must not expect them to change.
type Bucket struct {
	// Name is the bucket name (validated by the S3 layer before proposing).
	Name string `json:"name"`
	// Owner is the user name of the creator.
	Owner string `json:"owner"`
	// Created is the creation time (chosen by the proposer).
	Created time.Time `json:"created"`
	// Tags is the bucket tag set; nil when none is set.
	Tags map[string]string `json:"tags,omitempty"`
	// Policy is the bucket policy JSON; "" when none is set.
	Policy string `json:"policy,omitempty"`
	// Lifecycle is the bucket's lifecycle configuration (JSON owned by the
	// lifecycle package); "" when none is set.
	Lifecycle string `json:"lifecycle,omitempty"`
}
