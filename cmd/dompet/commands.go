package main

// command is one subcommand. Its run parses its own args (c.flags and c.config give the
// shared settings), prints its result as JSON on stdout with c.printJSON, logs to stderr
// through c.log, and returns an error to exit non-zero.
type command struct {
	name    string // one or two words: "serve", "merchant create"
	args    string // synopsis of its arguments, for help
	summary string
	run     runFunc
}

// commands is the table of subcommands; the first is the default when none is named. Each
// command is declared in its own file (serveCmd in serve.go), so writing or filling in a
// command touches that file; a new one adds its line here.
func commands() []command {
	return []command{
		serveCmd,
		migrateCmd,
		versionCmd,
		merchantCreateCmd,
		agentCreateCmd,
		agentListCmd,
		agentUpdateCmd,
		demoCmd,
		benchCmd,
		ledgerVerifyCmd,
		secretsRotateCmd,
	}
}
