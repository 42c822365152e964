package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/opsroom/opsroom/internal/store"
)

// run runs the command line against a data directory and returns the exit
// code and what was printed.
func run(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Run(context.Background(), args, &Env{Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return env[k] }})
	return code, out.String(), errb.String()
}

func TestAdministrationAndAuditVerify(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"OPSROOM_DATA": dir, "OPSROOM_ADMIN_PASSWORD": "first operator passphrase", "OPSROOM_PASSWORD": "member password"}
	steps := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"init", "--partner", "UN", "--partner-name", "United Nations", "--partner-kind", "international organization"}, 0, "server admin admin (partner UN) created"},
		{[]string{"partner", "add", "--code", "RU", "--name", "Russia", "--kind", "state"}, 0, "partner RU added"},
		{[]string{"partner", "add", "--code", "RU", "--name", "Russia", "--kind", "state"}, 1, `code: partner "RU" exists already`},
		{[]string{"partner", "add", "--code", "IR", "--name", "Iran", "--kind", "country"}, 1, "kind:"},
		{[]string{"member", "add", "--partner", "RU", "--username", "ru.general"}, 0, "member ru.general (partner RU) added"},
		{[]string{"member", "add", "--partner", "XX", "--username", "x.y"}, 1, `partner: no partner with code "XX"`},
		{[]string{"room", "add", "--slug", "damascus", "--name", "Damascus", "--purpose", "direct combat operations", "--command-model", "director", "--partners", "RU,UN"}, 0, "room damascus opened"},
		{[]string{"room", "seat", "--room", "damascus", "--member", "ru.general", "--role", "director"}, 0, ""},
		{[]string{"room", "seat", "--room", "damascus", "--member", "ru.general", "--role", "co-director"}, 1, "has no co-directors"},
		{[]string{"room", "list"}, 0, "damascus  director"},
		{[]string{"token", "create", "--member", "ru.general", "--name", "script"}, 0, "opr_"},
		{[]string{"member", "list"}, 0, "ru.general"},
		{[]string{"audit", "verify"}, 0, "audit trail intact"},
		{[]string{"version"}, 0, "opsroom"},
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
	}
	for _, s := range steps {
		code, out, errs := run(t, env, s.args...)
		if code != s.code || !strings.Contains(out+errs, s.want) {
			t.Fatalf("opsroom %s: exit %d (want %d)\nstdout: %s\nstderr: %s\nwant text %q", strings.Join(s.args, " "), code, s.code, out, errs, s.want)
		}
	}
	// Change one record by hand: verify fails and names it.
	ctx := context.Background()
	db, err := store.Open(ctx, store.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE audit SET actor_id = 'someone-else' WHERE seq = 3`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	code, _, errs := run(t, env, "audit", "verify")
	if code != 1 || !strings.Contains(errs, "audit record 3: was changed after it was written") {
		t.Fatalf("verify after tampering: exit %d, %s", code, errs)
	}
}

func TestEveryCommandHasHelp(t *testing.T) {
	for _, c := range append(commands(), extra...) {
		code, out, errs := run(t, map[string]string{}, c.name, "--help")
		if code != 0 || out+errs == "" {
			t.Errorf("opsroom %s --help: exit %d, nothing printed", c.name, code)
		}
	}
}

// TestWeakPasswordsRefused: init and member add hold the admin's and a
// member's password to the same rule as the API, naming the variable.
func TestWeakPasswordsRefused(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		env  map[string]string
		args []string
		want string
	}{
		{map[string]string{"OPSROOM_DATA": dir, "OPSROOM_ADMIN_PASSWORD": "          "}, []string{"init", "--partner", "UN"}, "OPSROOM_ADMIN_PASSWORD (the admin's password) must not be only spaces"},
		{map[string]string{"OPSROOM_DATA": dir, "OPSROOM_ADMIN_PASSWORD": "password1234"}, []string{"init", "--partner", "UN"}, "OPSROOM_ADMIN_PASSWORD (the admin's password) is on the list of common passwords"},
		{map[string]string{"OPSROOM_DATA": dir, "OPSROOM_ADMIN_PASSWORD": "admin-of-the-room"}, []string{"init", "--partner", "UN"}, "must not contain the username"},
		{map[string]string{"OPSROOM_DATA": dir, "OPSROOM_ADMIN_PASSWORD": "ten chars!"}, []string{"init", "--partner", "UN"}, "must be at least 12 characters"},
	} {
		code, _, stderr := run(t, c.env, c.args...)
		if code == 0 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v with %v: exit %d, stderr %q, want %q", c.args, c.env, code, stderr, c.want)
		}
	}
	env := map[string]string{"OPSROOM_DATA": dir, "OPSROOM_ADMIN_PASSWORD": "first operator passphrase", "OPSROOM_PASSWORD": "aaaaaaaaaaaa"}
	if code, _, stderr := run(t, env, "init", "--partner", "UN"); code != 0 {
		t.Fatal(stderr)
	}
	if code, _, stderr := run(t, env, "member", "add", "--partner", "UN", "--username", "un.one"); code == 0 || !strings.Contains(stderr, "OPSROOM_PASSWORD (the member's password) has too few different characters") {
		t.Errorf("member add with a weak password: exit %d, %q", code, stderr)
	}
}

// TestDemoListensOnLoopback: the demo's passwords are published, so it
// refuses any other address unless --demo-public says so.
func TestDemoListensOnLoopback(t *testing.T) {
	env := map[string]string{"OPSROOM_DATA": t.TempDir()}
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:8080", "[::]:0", "example.org:80"} {
		code, _, stderr := run(t, env, "serve", "--demo", "--addr", addr)
		if code == 0 || !strings.Contains(stderr, "--demo-public") {
			t.Errorf("--demo --addr %s: exit %d, %q", addr, code, stderr)
		}
	}
	for _, addr := range []string{"127.0.0.1:8080", "[::1]:8080", "localhost:8080", "127.1.2.3:0"} {
		if !loopback(addr) {
			t.Errorf("%s is not taken for loopback", addr)
		}
	}
	if code, _, stderr := run(t, env, "serve", "--trusted-proxy", "not-a-cidr"); code == 0 || !strings.Contains(stderr, `--trusted-proxy "not-a-cidr"`) {
		t.Errorf("a bad --trusted-proxy: exit %d, %q", code, stderr)
	}
}

// TestSQLiteSyncFlag: the faster SQLite mode is named, and a mode that
// is neither is refused before anything is opened.
func TestSQLiteSyncFlag(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"OPSROOM_DATA": dir, "OPSROOM_ADMIN_PASSWORD": "first operator passphrase"}
	if code, _, stderr := run(t, env, "init", "--partner", "UN", "--sqlite-sync", "normal"); code != 0 {
		t.Fatalf("--sqlite-sync normal: %s", stderr)
	}
	for _, args := range [][]string{{"partner", "list", "--sqlite-sync", "off"}, {"bench", "--sqlite-sync", "off", "items"}} {
		if code, _, stderr := run(t, env, args...); code == 0 || !strings.Contains(stderr, `--sqlite-sync "off": want full (the default) or normal`) {
			t.Errorf("%v: exit %d, %q", args, code, stderr)
		}
	}
	env["OPSROOM_SQLITE_SYNC"] = "sometimes"
	if code, _, stderr := run(t, env, "partner", "list"); code == 0 || !strings.Contains(stderr, `"sometimes"`) {
		t.Errorf("OPSROOM_SQLITE_SYNC=sometimes: exit %d, %q", code, stderr)
	}
}
