package main

import (
	"context"
	"runtime"
	"runtime/debug"
)

// version is set at build time: go build -ldflags "-X main.version=v1.2.3".
var version = ""

var versionCmd = command{
	name:    "version",
	summary: "print the version as JSON",
	run: func(ctx context.Context, c *cli, args []string) error {
		fs := c.flags()
		if err := fs.Parse(args); err != nil {
			return usageError{err}
		}
		if err := noArgs(fs); err != nil {
			return err
		}
		return c.printJSON(map[string]string{"version": buildVersion(), "go": runtime.Version()})
	},
}

// buildVersion is the -X version, else the module version go install recorded, else "dev".
func buildVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}
