package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/opsroom/opsroom/internal/audit"
	"github.com/opsroom/opsroom/internal/store"
)

const pgBackupHelp = "for PostgreSQL use pg_dump -Fc and pg_restore (see the user's guide, Backups)"

func cmdBackup(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "backup", "backup --to DIR [--data DIR]: write a consistent copy of the SQLite database into a new directory, while the server runs")
	var dbf dbFlags
	dbf.register(fs, env)
	to := fs.String("to", "", "directory to write the copy into (made; must be empty); it is itself a data directory")
	return withDB(ctx, fs, &dbf, args, func(s *Services) error {
		if *to == "" {
			return errors.New("--to is required: the directory to write the copy into")
		}
		if err := s.DB.BackupTo(ctx, *to); err != nil {
			if errors.Is(err, store.ErrNotSQLite) {
				return errors.New(pgBackupHelp)
			}
			return fmt.Errorf("backup: %w", err)
		}
		// Check the copy as a restore would, so a bad copy is known now.
		n, seq, hash, err := verifyData(ctx, *to)
		if err != nil {
			return fmt.Errorf("the copy in %s does not verify: %w", *to, err)
		}
		fmt.Fprintf(env.Stdout, "backup written to %s: %d audit records verified, head %d:%s\n", *to, n, seq, hash)
		return nil
	})
}

func cmdRestore(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "restore", "restore --from BACKUP --data DIR: bring a backup into an empty data directory and verify its audit trail")
	var dbf dbFlags
	dbf.register(fs, env)
	from := fs.String("from", "", "a directory written by opsroom backup (or its opsroom.db)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *from == "" {
		return errors.New("--from is required: the backup to restore")
	}
	if dbf.db != "" {
		return errors.New(pgBackupHelp)
	}
	if err := store.RestoreFile(*from, dbf.data); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	n, seq, hash, err := verifyData(ctx, dbf.data)
	if err != nil {
		return fmt.Errorf("restored into %s, but it does not verify: %w", dbf.data, err)
	}
	fmt.Fprintf(env.Stdout, "restored into %s: %d audit records verified, head %d:%s\n", dbf.data, n, seq, hash)
	return nil
}

// verifyData opens a SQLite data directory and verifies its audit trail.
func verifyData(ctx context.Context, dir string) (n, seq int64, hash string, err error) {
	db, err := store.Open(ctx, store.Options{Dir: dir})
	if err != nil {
		return 0, 0, "", err
	}
	defer db.Close()
	if n, err = audit.Verify(ctx, db); err != nil {
		return n, 0, "", err
	}
	seq, hash, err = audit.Head(ctx, db)
	return n, seq, hash, err
}
