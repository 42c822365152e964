package live

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/opsroom/opsroom/internal/audit"
	"github.com/opsroom/opsroom/internal/store"
)

// membershipActions are the audit actions after which a member may no
// longer belong to a room: taken out of it, its partner taken out, or the
// account changed (disabled).
var membershipActions = []string{"room.member.remove", "room.partner.remove", "member.update"}

// WatchMembership ends the subscriptions of members who leave a room or
// are disabled. It follows the audit trail rather than a hook in the room
// service, so that a change made on another instance sharing the database
// (or by the CLI) ends this instance's streams too. It polls every
// interval until ctx ends.
func WatchMembership(ctx context.Context, db *store.DB, bus *Bus, every time.Duration, log *slog.Logger) {
	last, _, err := audit.Head(ctx, db)
	if err != nil {
		log.Error("live: read the audit head", "err", err)
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		next, err := checkMembership(ctx, db, bus, last)
		if err != nil {
			if ctx.Err() == nil {
				log.Warn("live: membership check", "err", err)
			}
			continue
		}
		last = next
	}
}

// checkMembership looks at the audit records after seq; if any may have
// taken someone out of a room, it checks every open subscription against
// the database. It returns the audit head it read up to.
func checkMembership(ctx context.Context, db *store.DB, bus *Bus, after int64) (int64, error) {
	head, _, err := audit.Head(ctx, db)
	if err != nil {
		return after, err
	}
	if head <= after {
		return after, nil
	}
	n, err := audit.CountActions(ctx, db, after, head, membershipActions...)
	if err != nil {
		return after, err
	}
	if n == 0 {
		return head, nil
	}
	for key := range bus.Watched() {
		roomID, memberID := key[0], key[1]
		var ok int
		err := store.Scan(db.QueryRow(ctx, `SELECT 1 FROM room_members rm JOIN members m ON m.id = rm.member_id
			WHERE rm.room_id = ? AND rm.member_id = ? AND m.disabled = ?`, roomID, memberID, false), &ok)
		switch {
		case errors.Is(err, store.ErrNotFound):
			bus.EndMember(roomID, memberID)
		case err != nil:
			return after, err
		}
	}
	return head, nil
}
