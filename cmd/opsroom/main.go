// Command opsroom is a joint operations room server: partners share
// intelligence, keep one live picture, plan and deconflict operations and
// keep the room's log, and every partner sees exactly what it may.
// Run "opsroom --help" for the commands.
package main

import (
	"context"
	"os"

	"github.com/opsroom/opsroom/internal/cli"
)

func main() {
	os.Exit(cli.Run(context.Background(), os.Args[1:], &cli.Env{Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}))
}
