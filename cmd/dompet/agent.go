package main

import "context"

var agentCreateCmd = command{
	name:    "agent create",
	args:    "--email E --name N --role R [--team T] [--password P]",
	summary: "create a support agent; prints {id, email, password, totp_secret}",
	run:     agentCreate,
}

// agentCreate is registered for the support service to fill in.
func agentCreate(ctx context.Context, c *cli, args []string) error {
	fs := c.flags()
	fs.String("email", "", "staff e-mail address (required)")
	fs.String("name", "", "display name (required)")
	fs.String("role", "agent", "agent, supervisor or admin")
	fs.String("team", "general", "team slug: accounts, payments or general")
	fs.String("password", "", "password; generated when empty")
	if _, err := c.config(fs, args); err != nil {
		return err
	}
	return errNotImplemented
}
