// Command tessera is the Tessera binary: the server and its admin tools.
// This file binds flags to the packages that do the work and nothing else.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	root := &cobra.Command{
		Use:           "tessera",
		Short:         "Tessera: an S3-compatible object store for bare-metal clusters",
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version,
	}
	g := &globals{}
	g.bind(root)
	root.AddCommand(serverCmd(), userCmd(g), s3Cmd(g), clusterTopCmd(g), benchCmd(g))
	if err := root.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "tessera:", err)
		os.Exit(1)
	}
}
