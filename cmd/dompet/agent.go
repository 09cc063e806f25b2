package main

import (
	"context"
	"errors"

	"github.com/dompet/dompet/internal/fault"
	"github.com/dompet/dompet/internal/identity"
)

var agentCreateCmd = command{
	name:    "agent create",
	args:    "--email E --name N --role R [--team T] [--password P]",
	summary: "create a support agent; prints {id, email, password, totp_secret}",
	run:     agentCreate,
}

// agentCreated is what `dompet agent create` prints (API.md): the password and the TOTP
// secret are shown this once.
type agentCreated struct {
	ID         string `json:"id"`
	Email      string `json:"email"`
	Password   string `json:"password"`
	TOTPSecret string `json:"totp_secret"`
}

// agentCreate creates a staff member (agent, supervisor or admin) with a TOTP secret for their
// authenticator app, and a generated password unless one is given.
func agentCreate(ctx context.Context, c *cli, args []string) error {
	fs := c.flags()
	email := fs.String("email", "", "staff e-mail address (required)")
	name := fs.String("name", "", "display name (required)")
	role := fs.String("role", "agent", "agent, supervisor or admin")
	team := fs.String("team", identity.DefaultTeam, "team slug: accounts, payments or general")
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
	store, err := c.openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	ids := identity.New(store, identity.Options{Log: c.log})
	st, secret, pw, err := ids.CreateStaff(ctx, *email, *name, *role, *team, *password)
	if code := fault.Code(err); code == "invalid_request" || code == "weak_password" {
		return usageError{err} // a bad flag value
	}
	if err != nil {
		return err
	}
	c.log.Info("staff member created", "id", st.ID, "role", st.Role, "team", st.Team)
	return c.printJSON(agentCreated{ID: st.ID, Email: st.Email, Password: pw, TOTPSecret: secret})
}
