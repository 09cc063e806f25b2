package main

import "context"

var merchantCreateCmd = command{
	name:    "merchant create",
	args:    "--name N [--webhook-url U]",
	summary: "create a merchant; prints {id, api_key, webhook_secret}",
	run:     merchantCreate,
}

// merchantCreate is registered for the merchant service to fill in.
func merchantCreate(ctx context.Context, c *cli, args []string) error {
	fs := c.flags()
	fs.String("name", "", "merchant name (required)")
	fs.String("webhook-url", "", "URL that receives signed payment and refund events")
	if _, err := c.config(fs, args); err != nil {
		return err
	}
	return errNotImplemented
}
