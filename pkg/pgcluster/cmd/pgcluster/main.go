// Command pgcluster starts and stops a private PostgreSQL cluster from the machine's binaries, the
// same way the tests do (package pgcluster); `make run` uses it when nothing answers at 5432.
//
//	pgcluster start --dir .data/pg --port 55432   start (initialising once) and print the URL
//	pgcluster stop  --dir .data/pg                 stop it
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/flowkiwi/platform/pkg/pgcluster"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "pgcluster:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 || (args[0] != "start" && args[0] != "stop") {
		return fmt.Errorf("usage: pgcluster start|stop --dir DIR [--port PORT]")
	}
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	dir := fs.String("dir", ".data/pg", "the cluster's directory")
	port := fs.Int("port", 55432, "the loopback port it listens on")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	c, err := pgcluster.New(pgcluster.Options{Dir: *dir, Port: *port})
	if err != nil {
		return err
	}
	ctx := context.Background()
	if args[0] == "stop" {
		return c.Stop(ctx)
	}
	if err := c.Start(ctx); err != nil {
		return err
	}
	fmt.Println(c.URL())
	return nil
}
