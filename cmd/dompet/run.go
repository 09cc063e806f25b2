package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/dompet/dompet/internal/config"
	"github.com/dompet/dompet/internal/db"
	"github.com/dompet/dompet/internal/schema"
)

// runFunc runs a subcommand with the arguments after its name.
type runFunc func(ctx context.Context, c *cli, args []string) error

// Exit codes: 0 done, 1 failed, 2 bad usage (unknown command, bad flag or setting).
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

// usageError is a mistake in the command line; it exits 2.
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }

// cli is what a subcommand gets: where to write, how to read the environment, the logger.
type cli struct {
	name   string // the subcommand's name, for flag errors
	stdout io.Writer
	stderr io.Writer
	env    config.LookupEnv
	log    *slog.Logger // JSON on stderr; its level follows the config once parsed
}

// run is the whole program: it picks the subcommand and runs it.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return runWith(ctx, args, stdout, stderr, os.LookupEnv)
}

func runWith(ctx context.Context, args []string, stdout, stderr io.Writer, env config.LookupEnv) int {
	c := &cli{stdout: stdout, stderr: stderr, env: env, log: newLogger(stderr, slog.LevelInfo)}
	if len(args) > 0 && (args[0] == "help" || args[0] == "-h" || args[0] == "--help") {
		usage(stderr)
		return exitOK
	}
	cmd, rest, err := lookup(args)
	if err != nil {
		c.log.Error(err.Error())
		usage(stderr)
		return exitUsage
	}
	c.name = cmd.name
	err = cmd.run(ctx, c, rest)
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, new(usageError)):
		c.log.Error("bad usage", "command", cmd.name, "error", err)
		return exitUsage
	}
	c.log.Error("command failed", "command", cmd.name, "error", err)
	return exitFail
}

// lookup finds the subcommand args name, two words before one; no name (or flags only)
// means the first command, serve.
func lookup(args []string) (command, []string, error) {
	cmds := commands()
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return cmds[0], args, nil
	}
	if len(args) >= 2 {
		for _, c := range cmds {
			if c.name == args[0]+" "+args[1] {
				return c, args[2:], nil
			}
		}
	}
	for _, c := range cmds {
		if c.name == args[0] {
			return c, args[1:], nil
		}
	}
	return command{}, nil, fmt.Errorf("unknown command %q", strings.Join(args[:min(2, len(args))], " "))
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: dompet <command> [flags]   (\"dompet <command> -h\" lists the flags)")
	fmt.Fprintln(w, "\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %s %s\n      %s\n", c.name, c.args, c.summary)
	}
	fmt.Fprintln(w, "\nEvery setting is a flag or a DOMPET_* environment variable; a flag wins.")
}

func newLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}))
}

// flags returns the FlagSet of the running command, writing its help to stderr. A command
// adds its own flags to it, then calls c.config.
func (c *cli) flags() *flag.FlagSet {
	fs := flag.NewFlagSet("dompet "+c.name, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	return fs
}

// config binds every setting to fs (beside the command's own flags), parses args, and sets
// c.log to the configured level. A bad flag or setting, or a positional argument (no
// command takes any), is a usageError.
func (c *cli) config(fs *flag.FlagSet, args []string) (config.Config, error) {
	load := config.Bind(fs, c.env)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return config.Config{}, err
		}
		return config.Config{}, usageError{err}
	}
	if err := noArgs(fs); err != nil {
		return config.Config{}, err
	}
	cfg, err := load()
	if err != nil {
		return config.Config{}, usageError{err}
	}
	c.log = newLogger(c.stderr, cfg.LogLevel)
	return cfg, nil
}

// noArgs refuses positional arguments left after the flags, for commands that take none.
func noArgs(fs *flag.FlagSet) error {
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	return nil
}

// openStore opens the configured store and applies the migrations it lacks.
func (c *cli) openStore(ctx context.Context, cfg config.Config) (*db.DB, error) {
	store, err := db.Open(ctx, cfg.DB)
	if err != nil {
		return nil, err
	}
	if err := store.Migrate(ctx, schema.FS, c.log); err != nil {
		store.Close()
		return nil, err
	}
	return store, nil
}

// printJSON writes v as the command's result: one JSON document on stdout.
func (c *cli) printJSON(v any) error {
	enc := json.NewEncoder(c.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
