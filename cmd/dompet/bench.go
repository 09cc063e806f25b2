package main

import "context"

var benchCmd = command{
	name:    "bench",
	args:    "…",
	summary: "built-in load generators (see docs/benchmarks.md)",
	run:     bench,
}

// bench is registered for the benchmark tooling to fill in.
func bench(ctx context.Context, c *cli, args []string) error {
	return errNotImplemented
}
