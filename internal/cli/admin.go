package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/opsroom/opsroom/internal/access"
	"github.com/opsroom/opsroom/internal/account"
	"github.com/opsroom/opsroom/internal/audit"
	"github.com/opsroom/opsroom/internal/room"
	"github.com/opsroom/opsroom/internal/store"
)

// withDB parses fs, opens the database and runs fn with the services.
func withDB(ctx context.Context, fs interface{ Parse([]string) error }, dbf *dbFlags, args []string, fn func(*Services) error) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	db, err := dbf.open(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	return fn(NewServices(db))
}

func cmdInit(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "init", "init --username NAME --partner CODE [--partner-name NAME] [--partner-kind KIND] (password from OPSROOM_ADMIN_PASSWORD)")
	var dbf dbFlags
	dbf.register(fs, env)
	username := fs.String("username", "admin", "the admin's username")
	code := fs.String("partner", "", "code of the admin's partner (made if it does not exist)")
	pname := fs.String("partner-name", "", "the partner's name, when it is made")
	pkind := fs.String("partner-kind", "agency", "the partner's kind, when it is made")
	return withDB(ctx, fs, &dbf, args, func(s *Services) error {
		pw := env.Getenv("OPSROOM_ADMIN_PASSWORD")
		if pw == "" {
			return fmt.Errorf("set OPSROOM_ADMIN_PASSWORD to the first admin's password (at least %d characters); it is not taken as a flag so it stays out of shell history", account.MinPasswordChars)
		}
		if why := account.PasswordProblem(*username, pw); why != "" {
			return fmt.Errorf("OPSROOM_ADMIN_PASSWORD (the admin's password) %s", why)
		}
		if *code == "" {
			return errors.New("--partner is required: the code of the organization the admin belongs to")
		}
		if _, err := s.Rooms.Partner(ctx, *code); errors.Is(err, store.ErrNotFound) {
			name := *pname
			if name == "" {
				name = *code
			}
			if _, err := s.Rooms.CreatePartner(ctx, access.System, room.NewPartner{Code: *code, Name: name, Kind: *pkind}); err != nil {
				return err
			}
		} else if err != nil {
			return err
		}
		m, err := s.Members.CreateMember(ctx, access.System, account.NewMember{Partner: strings.ToUpper(*code), Username: *username, Password: pw, IsAdmin: true})
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "server admin %s (partner %s) created\n", m.Username, m.Partner)
		return nil
	})
}

func table(env *Env, header string, rows func(w *tabwriter.Writer)) {
	w := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, header)
	rows(w)
	w.Flush()
}

func sub(args []string, env *Env, name string, subs map[string]func([]string) error) error {
	if len(args) == 0 || args[0] == "--help" || args[0] == "-h" {
		keys := make([]string, 0, len(subs))
		for k := range subs {
			keys = append(keys, k)
		}
		fmt.Fprintf(env.Stderr, "Usage: opsroom %s {%s} [flags]\n", name, strings.Join(sorted(keys), "|"))
		if len(args) == 0 {
			return errors.New("name a subcommand")
		}
		return nil
	}
	f, ok := subs[args[0]]
	if !ok {
		return fmt.Errorf("unknown subcommand %q", args[0])
	}
	return f(args[1:])
}

func sorted(s []string) []string {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	return s
}

func cmdPartner(ctx context.Context, env *Env, args []string) error {
	return sub(args, env, "partner", map[string]func([]string) error{
		"add": func(args []string) error {
			fs := newFlags(env, "partner add", "partner add --code RU --name Russia --kind state")
			var dbf dbFlags
			dbf.register(fs, env)
			code := fs.String("code", "", "short code (e.g. RU)")
			name := fs.String("name", "", "name")
			kind := fs.String("kind", "", "one of: "+strings.Join(room.PartnerKinds, ", "))
			return withDB(ctx, fs, &dbf, args, func(s *Services) error {
				p, err := s.Rooms.CreatePartner(ctx, access.System, room.NewPartner{Code: *code, Name: *name, Kind: *kind})
				if err == nil {
					fmt.Fprintf(env.Stdout, "partner %s added\n", p.Code)
				}
				return err
			})
		},
		"list": func(args []string) error {
			fs := newFlags(env, "partner list", "partner list")
			var dbf dbFlags
			dbf.register(fs, env)
			return withDB(ctx, fs, &dbf, args, func(s *Services) error {
				ps, err := s.Rooms.Partners(ctx, "", 10000)
				table(env, "CODE\tNAME\tKIND", func(w *tabwriter.Writer) {
					for _, p := range ps {
						fmt.Fprintf(w, "%s\t%s\t%s\n", p.Code, p.Name, p.Kind)
					}
				})
				return err
			})
		},
	})
}

func cmdMember(ctx context.Context, env *Env, args []string) error {
	return sub(args, env, "member", map[string]func([]string) error{
		"add": func(args []string) error {
			fs := newFlags(env, "member add", "member add --partner RU --username ru.analyst [--name NAME] [--kind person|device] [--admin] (password from OPSROOM_PASSWORD)")
			var dbf dbFlags
			dbf.register(fs, env)
			partner := fs.String("partner", "", "partner code")
			username := fs.String("username", "", "username")
			name := fs.String("name", "", "display name")
			kind := fs.String("kind", access.Person, "person or device")
			admin := fs.Bool("admin", false, "make a server admin")
			return withDB(ctx, fs, &dbf, args, func(s *Services) error {
				pw := env.Getenv("OPSROOM_PASSWORD")
				if pw != "" && *kind == access.Person {
					if why := account.PasswordProblem(*username, pw); why != "" {
						return fmt.Errorf("OPSROOM_PASSWORD (the member's password) %s", why)
					}
				}
				m, err := s.Members.CreateMember(ctx, access.System, account.NewMember{Partner: *partner, Username: *username,
					DisplayName: *name, Kind: *kind, Password: pw, IsAdmin: *admin})
				if err == nil {
					fmt.Fprintf(env.Stdout, "member %s (partner %s) added\n", m.Username, m.Partner)
				}
				return err
			})
		},
		"list": func(args []string) error {
			fs := newFlags(env, "member list", "member list [--partner CODE]")
			var dbf dbFlags
			dbf.register(fs, env)
			partner := fs.String("partner", "", "only this partner's members")
			return withDB(ctx, fs, &dbf, args, func(s *Services) error {
				ms, err := s.Members.Members(ctx, *partner, "", 100000)
				table(env, "USERNAME\tPARTNER\tKIND\tADMIN\tDISABLED\tNAME", func(w *tabwriter.Writer) {
					for _, m := range ms {
						fmt.Fprintf(w, "%s\t%s\t%s\t%v\t%v\t%s\n", m.Username, m.Partner, m.Kind, m.IsAdmin, m.Disabled, m.DisplayName)
					}
				})
				return err
			})
		},
		"disable": func(args []string) error {
			fs := newFlags(env, "member disable", "member disable USERNAME (ends its sessions and revokes its tokens)")
			var dbf dbFlags
			dbf.register(fs, env)
			return withDB(ctx, fs, &dbf, args, func(s *Services) error {
				if fs.NArg() != 1 {
					return errors.New("name one member")
				}
				t := true
				_, err := s.Members.UpdateMember(ctx, access.System, fs.Arg(0), account.MemberPatch{Disabled: &t})
				return err
			})
		},
	})
}

func cmdRoom(ctx context.Context, env *Env, args []string) error {
	return sub(args, env, "room", map[string]func([]string) error{
		"add": func(args []string) error {
			fs := newFlags(env, "room add", "room add --slug damascus --name NAME --purpose TEXT --command-model director|co-directors|unspecified --partners RU,IR [--log-grade B2]")
			var dbf dbFlags
			dbf.register(fs, env)
			slug := fs.String("slug", "", "short name used in URLs")
			name := fs.String("name", "", "name")
			purpose := fs.String("purpose", "", "purpose")
			model := fs.String("command-model", room.Director, "director, co-directors or unspecified")
			partners := fs.String("partners", "", "comma-separated partner codes")
			place := fs.String("place", "", "place name")
			logGrade := fs.String("log-grade", "", "grade at or above which shared reports enter the watch log (e.g. B2; empty: none)")
			return withDB(ctx, fs, &dbf, args, func(s *Services) error {
				r, err := s.Rooms.CreateRoom(ctx, access.System, room.NewRoom{Slug: *slug, Name: *name, Purpose: *purpose,
					CommandModel: *model, Partners: splitList(*partners), Place: room.Place{Name: *place}, LogGrade: *logGrade})
				if err == nil {
					fmt.Fprintf(env.Stdout, "room %s opened\n", r.Slug)
				}
				return err
			})
		},
		"set": func(args []string) error {
			fs := newFlags(env, "room set", "room set --room SLUG --log-grade B2 (an empty grade turns automatic report entries off)")
			var dbf dbFlags
			dbf.register(fs, env)
			slug := fs.String("room", "", "room slug")
			logGrade := fs.String("log-grade", "", "grade at or above which shared reports enter the watch log (e.g. B2; empty: none)")
			return withDB(ctx, fs, &dbf, args, func(s *Services) error {
				var p room.RoomPatch
				fs.Visit(func(f *flag.Flag) {
					if f.Name == "log-grade" {
						p.LogGrade = logGrade
					}
				})
				if p.LogGrade == nil {
					return errors.New("nothing to set: give --log-grade")
				}
				r, err := s.Rooms.UpdateRoom(ctx, access.System, *slug, p)
				if err == nil {
					fmt.Fprintf(env.Stdout, "room %s: log grade %q\n", r.Slug, r.LogGrade)
				}
				return err
			})
		},
		"list": func(args []string) error {
			fs := newFlags(env, "room list", "room list")
			var dbf dbFlags
			dbf.register(fs, env)
			return withDB(ctx, fs, &dbf, args, func(s *Services) error {
				rs, err := s.Rooms.Rooms(ctx, access.System)
				table(env, "SLUG\tCOMMAND\tPARTNERS\tAUTHORITIES\tLOG GRADE\tNAME", func(w *tabwriter.Writer) {
					for _, r := range rs {
						fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Slug, r.CommandModel, strings.Join(r.Partners, ","), strings.Join(r.Authorities, ","), dateOr(r.LogGrade == "", r.LogGrade), r.Name)
					}
				})
				return err
			})
		},
		"seat": func(args []string) error {
			fs := newFlags(env, "room seat", "room seat --room SLUG --member USERNAME [--role member|director|co-director]")
			var dbf dbFlags
			dbf.register(fs, env)
			slug := fs.String("room", "", "room slug")
			user := fs.String("member", "", "username")
			role := fs.String("role", room.RoleMember, "member, director or co-director")
			return withDB(ctx, fs, &dbf, args, func(s *Services) error {
				return s.Rooms.SetMember(ctx, access.System, *slug, *user, *role)
			})
		},
	})
}

func cmdToken(ctx context.Context, env *Env, args []string) error {
	return sub(args, env, "token", map[string]func([]string) error{
		"create": func(args []string) error {
			fs := newFlags(env, "token create", "token create --member USERNAME --name NAME [--expires-in 720h]")
			var dbf dbFlags
			dbf.register(fs, env)
			user := fs.String("member", "", "whose token")
			name := fs.String("name", "", "what it is for")
			exp := fs.String("expires-in", "", "lifetime (default 2160h, at most 8784h)")
			return withDB(ctx, fs, &dbf, args, func(s *Services) error {
				t, err := s.Members.CreateToken(ctx, access.System, account.NewToken{Member: *user, Name: *name, ExpiresIn: *exp})
				if err == nil {
					fmt.Fprintf(env.Stdout, "%s\n(token %s for %s, expires %s; the secret is not shown again)\n", t.Secret, t.ID, t.Member, t.ExpiresAt.Format("2006-01-02"))
				}
				return err
			})
		},
		"list": func(args []string) error {
			fs := newFlags(env, "token list", "token list --member USERNAME")
			var dbf dbFlags
			dbf.register(fs, env)
			user := fs.String("member", "", "whose tokens")
			return withDB(ctx, fs, &dbf, args, func(s *Services) error {
				ts, err := s.Members.Tokens(ctx, access.System, *user)
				table(env, "ID\tNAME\tEXPIRES\tREVOKED\tLAST USED", func(w *tabwriter.Writer) {
					for _, t := range ts {
						fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", t.ID, t.Name, t.ExpiresAt.Format("2006-01-02"), dateOr(t.RevokedAt.IsZero(), t.RevokedAt.Format("2006-01-02")), dateOr(t.LastUsedAt.IsZero(), t.LastUsedAt.Format("2006-01-02 15:04")))
					}
				})
				return err
			})
		},
		"revoke": func(args []string) error {
			fs := newFlags(env, "token revoke", "token revoke ID")
			var dbf dbFlags
			dbf.register(fs, env)
			return withDB(ctx, fs, &dbf, args, func(s *Services) error {
				if fs.NArg() != 1 {
					return errors.New("name one token ID")
				}
				return s.Members.RevokeToken(ctx, access.System, fs.Arg(0))
			})
		},
	})
}

func dateOr(zero bool, s string) string {
	if zero {
		return "-"
	}
	return s
}

func cmdAudit(ctx context.Context, env *Env, args []string) error {
	return sub(args, env, "audit", map[string]func([]string) error{
		"verify": func(args []string) error {
			fs := newFlags(env, "audit verify", "audit verify [--against SEQ:HASH]...: recompute the hash chain, check it against the data directory's checkpoint and the values given, and name the first broken record")
			var dbf dbFlags
			dbf.register(fs, env)
			var against []audit.Checkpoint
			fs.Func("against", "a checkpoint printed earlier by opsroom audit checkpoint (repeatable)", func(v string) error {
				c, err := audit.ParseCheckpoint(v)
				if err == nil {
					against = append(against, c)
				}
				return err
			})
			return withDB(ctx, fs, &dbf, args, func(s *Services) error {
				anchors := against
				file, ok, err := audit.ReadCheckpointFile(dbf.data)
				if err != nil {
					return err
				}
				if ok {
					anchors = append(anchors, file)
				}
				n, err := audit.VerifyAgainst(ctx, s.DB, anchors...)
				if err != nil {
					var be *audit.BrokenError
					if errors.As(err, &be) {
						return fmt.Errorf("the audit trail is broken: %w (%d records before it verified)", err, n)
					}
					return err
				}
				fmt.Fprintf(env.Stdout, "audit trail intact: %d records verified\n", n)
				if ok {
					fmt.Fprintf(env.Stdout, "it holds the checkpoint in %s (record %d)\n", filepath.Join(dbf.data, audit.CheckpointFile), file.Seq)
				}
				for _, c := range against {
					fmt.Fprintf(env.Stdout, "it holds checkpoint %s\n", c)
				}
				return nil
			})
		},
		"checkpoint": func(args []string) error {
			fs := newFlags(env, "audit checkpoint", "audit checkpoint: verify the chain and print its head as SEQ:HASH, to keep somewhere the database's writers cannot reach")
			var dbf dbFlags
			dbf.register(fs, env)
			return withDB(ctx, fs, &dbf, args, func(s *Services) error {
				// Anchoring a broken chain would vouch for it.
				if _, err := audit.Verify(ctx, s.DB); err != nil {
					return fmt.Errorf("the audit trail is broken, no checkpoint printed: %w", err)
				}
				c, err := audit.CurrentHead(ctx, s.DB)
				if err != nil {
					return err
				}
				fmt.Fprintln(env.Stdout, c)
				return nil
			})
		},
	})
}
