package room_test

import (
	"context"
	"errors"
	"testing"

	"github.com/opsroom/opsroom/internal/access"
	"github.com/opsroom/opsroom/internal/account"
	"github.com/opsroom/opsroom/internal/room"
	"github.com/opsroom/opsroom/internal/store"
	"github.com/opsroom/opsroom/internal/store/storetest"
	"github.com/opsroom/opsroom/internal/validate"
)

func TestLogGrade(t *testing.T) {
	for _, tc := range []struct {
		threshold, rel string
		cred           int
		want           bool
	}{
		{"B2", "A", 1, true}, {"B2", "B", 2, true}, {"B2", "B", 3, false}, {"B2", "C", 2, false},
		{"B2", "C", 3, false}, {"", "A", 1, false}, {"F6", "F", 6, true}, {"A1", "A", 1, true}, {"B2", "", 2, false},
	} {
		if got := room.LogGradeMet(tc.threshold, tc.rel, tc.cred); got != tc.want {
			t.Errorf("LogGradeMet(%q, %q, %d) = %v", tc.threshold, tc.rel, tc.cred, got)
		}
	}
	for in, want := range map[string]string{"b2": "B2", " C3 ": "C3", "": ""} {
		if got, ok := room.ParseLogGrade(in); !ok || got != want {
			t.Errorf("ParseLogGrade(%q) = %q, %v", in, got, ok)
		}
	}
	for _, in := range []string{"G1", "B7", "B", "2B", "B22"} {
		if _, ok := room.ParseLogGrade(in); ok {
			t.Errorf("ParseLogGrade(%q) accepted", in)
		}
	}
}

// A room's watch log grade is set when it is opened and changed by an
// admin or the room's authority; a plain member may not change it, nor
// may the authority change anything else.
func TestRoomLogGradeSetting(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx, sys := context.Background(), access.System
		rooms, members := room.NewService(db), account.NewService(db)
		for _, code := range []string{"RU", "IR"} {
			if _, err := rooms.CreatePartner(ctx, sys, room.NewPartner{Code: code, Name: code, Kind: "state"}); err != nil {
				t.Fatal(err)
			}
		}
		for _, m := range [][2]string{{"RU", "ru.general"}, {"IR", "ir.commander"}} {
			if _, err := members.CreateMember(ctx, sys, account.NewMember{Partner: m[0], Username: m[1], DisplayName: m[1], Password: "opsroom-test-password"}); err != nil {
				t.Fatal(err)
			}
		}
		in := room.NewRoom{Slug: "damascus", Name: "Damascus", Purpose: "combat", CommandModel: room.Director, Partners: []string{"RU", "IR"}, LogGrade: "X9"}
		if _, err := rooms.CreateRoom(ctx, sys, in); !validate.Names(err, "log_grade") {
			t.Fatalf("grade X9: %v", err)
		}
		in.LogGrade = "b2"
		r, err := rooms.CreateRoom(ctx, sys, in)
		if err != nil || r.LogGrade != "B2" {
			t.Fatalf("created %+v, %v", r, err)
		}
		if err := rooms.SetMember(ctx, sys, "damascus", "ru.general", room.RoleDirector); err != nil {
			t.Fatal(err)
		}
		if err := rooms.SetMember(ctx, sys, "damascus", "ir.commander", room.RoleMember); err != nil {
			t.Fatal(err)
		}
		ru, err := members.AsMember(ctx, "ru.general", "cli")
		if err != nil {
			t.Fatal(err)
		}
		ir, err := members.AsMember(ctx, "ir.commander", "cli")
		if err != nil {
			t.Fatal(err)
		}
		c3, name := "C3", "Renamed"
		if _, err := rooms.UpdateRoom(ctx, ir, "damascus", room.RoomPatch{LogGrade: &c3}); !errors.Is(err, access.ErrForbidden) {
			t.Fatalf("a member changed the grade: %v", err)
		}
		if _, err := rooms.UpdateRoom(ctx, ru, "damascus", room.RoomPatch{LogGrade: &c3, Name: &name}); !errors.Is(err, access.ErrForbidden) {
			t.Fatalf("the director renamed the room: %v", err)
		}
		if r, err := rooms.UpdateRoom(ctx, ru, "damascus", room.RoomPatch{LogGrade: &c3}); err != nil || r.LogGrade != "C3" {
			t.Fatalf("director: %+v, %v", r, err)
		}
		if r, err := rooms.Room(ctx, ir, "damascus"); err != nil || r.LogGrade != "C3" {
			t.Fatalf("read back %+v, %v", r, err)
		}
		off := ""
		if r, err := rooms.UpdateRoom(ctx, sys, "damascus", room.RoomPatch{LogGrade: &off}); err != nil || r.LogGrade != "" {
			t.Fatalf("admin turning it off: %+v, %v", r, err)
		}
	})
}
