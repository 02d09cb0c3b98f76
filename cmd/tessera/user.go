package main

import (
	"context"
	"fmt"
	"os"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/tessera-s3/tessera/admin"
	"github.com/tessera-s3/tessera/raftfsm"
)

func userCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "user", Short: "Manage users (clusteradmin, readonly, s3)"}
	cmd.AddCommand(userAddCmd(g), userUpdateCmd(g), userDeleteCmd(g), userListCmd(g))
	return cmd
}

func printUser(g *globals, u admin.UserInfo) error {
	if g.json {
		return printJSON(os.Stdout, u)
	}
	table(os.Stdout, []string{"NAME", "ROLE", "POSIX_UID", "POSIX_GID", "POLICY"},
		[][]string{{u.Name, string(u.Role), strconv.Itoa(int(u.PosixUID)), strconv.Itoa(int(u.PosixGID)), u.Policy}})
	return nil
}

func userAddCmd(g *globals) *cobra.Command {
	var uid, gid uint32
	cmd := &cobra.Command{
		Use:   "add NAME ROLE [PASSWORD]",
		Short: "Add a user; ROLE is clusteradmin, readonly or s3; the password is prompted for when not given",
		Args:  cobra.RangeArgs(2, 3),
		RunE: func(cmd *cobra.Command, args []string) error {
			name, role := args[0], raftfsm.Role(args[1])
			if err := admin.ValidateUserName(name); err != nil {
				return fmt.Errorf("NAME: %s", err.(*admin.Error).Message)
			}
			if !role.Valid() {
				return fmt.Errorf("ROLE %q must be clusteradmin, readonly or s3", args[1])
			}
			var pw string
			if len(args) == 3 {
				pw = args[2]
			} else {
				var err error
				if pw, err = promptSecret("Password", true); err != nil {
					return err
				}
			}
			if err := admin.ValidatePassword(pw); err != nil {
				return fmt.Errorf("PASSWORD: %s", err.(*admin.Error).Message)
			}
			c, err := g.admin()
			if err != nil {
				return err
			}
			req := admin.CreateUserRequest{Name: name, Role: role, Password: pw}
			if cmd.Flags().Changed("posix-uid") {
				req.PosixUID = &uid
			}
			if cmd.Flags().Changed("posix-gid") {
				req.PosixGID = &gid
			}
			ctx, cancel := g.ctx()
			defer cancel()
			u, err := c.CreateUser(ctx, req)
			if err != nil {
				return explain(err)
			}
			return printUser(g, u)
		},
	}
	cmd.Flags().Uint32Var(&uid, "posix-uid", 0, "POSIX uid recorded on the user's objects")
	cmd.Flags().Uint32Var(&gid, "posix-gid", 0, "POSIX gid recorded on the user's objects")
	return cmd
}

func userUpdateCmd(g *globals) *cobra.Command {
	var (
		password string
		uid, gid uint32
	)
	cmd := &cobra.Command{
		Use:   "update NAME",
		Short: "Change a user's password or POSIX uid/gid",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var req admin.UpdateUserRequest
			f := cmd.Flags()
			if f.Changed("password") {
				if err := admin.ValidatePassword(password); err != nil {
					return fmt.Errorf("--password: %s", err.(*admin.Error).Message)
				}
				req.Password = &password
			}
			if f.Changed("posix-uid") {
				req.PosixUID = &uid
			}
			if f.Changed("posix-gid") {
				req.PosixGID = &gid
			}
			if req.Password == nil && req.PosixUID == nil && req.PosixGID == nil {
				return fmt.Errorf("nothing to update: give --password, --posix-uid or --posix-gid")
			}
			return g.withAdmin(func(ctx context.Context, c *admin.Client) error {
				u, err := c.UpdateUser(ctx, args[0], req)
				if err != nil {
					return explain(err)
				}
				return printUser(g, u)
			})
		},
	}
	cmd.Flags().StringVar(&password, "password", "", "new password")
	cmd.Flags().Uint32Var(&uid, "posix-uid", 0, "new POSIX uid")
	cmd.Flags().Uint32Var(&gid, "posix-gid", 0, "new POSIX gid")
	return cmd
}

func userDeleteCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "delete NAME",
		Short: "Delete a user (its sessions and service accounts stop working at once)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withAdmin(func(ctx context.Context, c *admin.Client) error {
				if err := c.DeleteUser(ctx, args[0]); err != nil {
					return explain(err)
				}
				if g.json {
					return printJSON(os.Stdout, map[string]string{"deleted": args[0]})
				}
				fmt.Printf("user %s deleted\n", args[0])
				return nil
			})
		},
	}
}

func userListCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List users",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withAdmin(func(ctx context.Context, c *admin.Client) error {
				us, err := c.ListUsers(ctx)
				if err != nil {
					return explain(err)
				}
				if g.json {
					return printJSON(os.Stdout, us)
				}
				rows := make([][]string, 0, len(us))
				for _, u := range us {
					rows = append(rows, []string{u.Name, string(u.Role), strconv.Itoa(int(u.PosixUID)), strconv.Itoa(int(u.PosixGID)), u.Policy})
				}
				table(os.Stdout, []string{"NAME", "ROLE", "POSIX_UID", "POSIX_GID", "POLICY"}, rows)
				return nil
			})
		},
	}
}
