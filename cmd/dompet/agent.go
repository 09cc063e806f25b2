package main

import (
	"context"
	"errors"
	"flag"
	"slices"
	"strconv"
	"strings"

	"github.com/dompet/dompet/internal/config"
	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/fault"
	"github.com/dompet/dompet/internal/identity"
	"github.com/dompet/dompet/internal/secret"
	"github.com/dompet/dompet/internal/staff"
)

var agentCreateCmd = command{
	name:    "agent create",
	args:    "--email E --name N --role R [--team T] [--password P]",
	summary: "create a staff member; prints {id, email, password, totp_secret}",
	run:     agentCreate,
}

var agentListCmd = command{
	name:    "agent list",
	summary: "list the staff members; prints a JSON array of {id, email, name, role, team, capacity, disabled, status, created_at}",
	run:     agentList,
}

var agentUpdateCmd = command{
	name:    "agent update",
	args:    "--id ID|--email E --reason WHY [--role R] [--team T] [--capacity N] [--disabled[=false]]",
	summary: "change a staff member (as an admin would); prints the member",
	run:     agentUpdate,
}

// agentCreated is what `dompet agent create` prints (API.md): the password and the TOTP
// secret are shown this once.
type agentCreated struct {
	ID         string `json:"id"`
	Email      string `json:"email"`
	Password   string `json:"password"`
	TOTPSecret string `json:"totp_secret"`
}

// staffService opens the store and the staff service on it (with identity's credentials).
func (c *cli) staffService(ctx context.Context, cfg config.Config) (*staff.Service, *db.DB, error) {
	store, err := c.openStore(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	// The server's key seals the TOTP secrets this command writes, as the server does.
	box, err := secret.Load(cfg.DataDir, cfg.SecretKey)
	if err != nil {
		store.Close()
		return nil, nil, err
	}
	ids := identity.New(store, identity.Options{Log: c.log, Secrets: box})
	return staff.New(store, ids, staff.Options{Log: c.log, Sealer: box}), store, nil
}

// asUsage makes a refusal of bad input a usage error (exit 2).
func asUsage(err error) error {
	if code := fault.Code(err); code == "invalid_request" || code == "weak_password" {
		return usageError{err}
	}
	return err
}

// agentCreate creates a staff member with a TOTP secret for their authenticator app, and a
// generated password unless one is given.
func agentCreate(ctx context.Context, c *cli, args []string) error {
	fs := c.flags()
	email := fs.String("email", "", "staff e-mail address (required)")
	name := fs.String("name", "", "display name (required)")
	role := fs.String("role", "agent", "agent, reviewer, supervisor or admin")
	team := fs.String("team", staff.DefaultTeam, "team slug: accounts, payments, general, or a team added since")
	password := fs.String("password", "", "password; generated when empty")
	cfg, err := c.config(fs, args)
	if err != nil {
		return err
	}
	switch {
	case *email == "":
		return usageError{errors.New("--email is required")}
	case *name == "":
		return usageError{errors.New("--name is required")}
	}
	svc, store, err := c.staffService(ctx, cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	st, secret, pw, err := svc.Create(ctx, *email, *name, *role, *team, *password)
	if err != nil {
		return asUsage(err)
	}
	c.log.Info("staff member created", "id", st.ID, "role", st.Role, "team", st.Team)
	return c.printJSON(agentCreated{ID: st.ID, Email: st.Email, Password: pw, TOTPSecret: secret})
}

func agentList(ctx context.Context, c *cli, args []string) error {
	fs := c.flags()
	cfg, err := c.config(fs, args)
	if err != nil {
		return err
	}
	svc, store, err := c.staffService(ctx, cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	list, err := svc.List(ctx)
	if err != nil {
		return err
	}
	return c.printJSON(list)
}

// agentUpdate changes a staff member as the operator (staff.Operator: what an admin may),
// audited with --reason.
func agentUpdate(ctx context.Context, c *cli, args []string) error {
	fs := c.flags()
	staffID := fs.String("id", "", "the staff member's id (or --email)")
	email := fs.String("email", "", "the staff member's e-mail address (or --id)")
	reason := fs.String("reason", "", "why (required; written to the audit log)")
	role := fs.String("role", "", "new role: agent, reviewer, supervisor or admin")
	team := fs.String("team", "", "new team slug")
	capacity := fs.Int("capacity", 0, "chats the member takes at once (0 to 50)")
	disabled := fs.Bool("disabled", false, "--disabled disables the member and ends their sessions; --disabled=false enables them")
	cfg, err := c.config(fs, args)
	if err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var ch staff.Change
	ch.Reason = *reason
	if set["role"] {
		ch.Role = role
	}
	if set["team"] {
		ch.Team = team
	}
	if set["capacity"] {
		ch.Capacity = capacity
	}
	if set["disabled"] {
		ch.Disabled = disabled
	}
	switch {
	case (*staffID == "") == (*email == ""):
		return usageError{errors.New("give one of --id and --email")}
	case *reason == "":
		return usageError{errors.New("--reason is required")}
	case ch == (staff.Change{Reason: *reason}):
		return usageError{errors.New("nothing to change: give --role, --team, --capacity or --disabled")}
	}
	svc, store, err := c.staffService(ctx, cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	if *email != "" {
		*email = strings.ToLower(strings.TrimSpace(*email))
		list, err := svc.List(ctx)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(list, func(s staff.Staff) bool { return s.Email == *email })
		if i < 0 {
			return usageError{errors.New("no staff member has the e-mail " + strconv.Quote(*email))}
		}
		*staffID = list[i].ID
	}
	st, err := svc.Update(ctx, staff.Operator(), *staffID, ch)
	if err != nil {
		return asUsage(err)
	}
	c.log.Info("staff member updated", "id", st.ID, "role", st.Role, "team", st.Team, "capacity", st.Capacity, "disabled", st.Disabled)
	return c.printJSON(st)
}
