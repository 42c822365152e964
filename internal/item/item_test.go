package item_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/opsroom/opsroom/internal/bench"
	"github.com/opsroom/opsroom/internal/item"
	"github.com/opsroom/opsroom/internal/store"
	"github.com/opsroom/opsroom/internal/store/storetest"
)

// TestNoteChangeCarriesTheItem: the change published on the live bus
// holds the note exactly as a read returns it.
func TestNoteChangeCarriesTheItem(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w, err := bench.NewWorld(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		p := w.People[0]
		sub := w.Bus.Subscribe(w.Room.ID, p.Viewer, 4)
		defer sub.Close()
		it, err := w.Items.CreateNote(ctx, p, "bench", item.NewNote{Title: "liaison", Text: "at 14:00", Marking: item.Marking{TLP: "GREEN"}})
		if err != nil {
			t.Fatal(err)
		}
		select {
		case c := <-sub.C:
			var got item.Item
			if err := json.Unmarshal(c.Data, &got); err != nil {
				t.Fatal(err)
			}
			want, _ := json.Marshal(it)
			have, _ := json.Marshal(got)
			if string(want) != string(have) || c.ItemID != it.ID || c.Op != "create" {
				t.Fatalf("change %s %s carries\n %s\nread returns\n %s", c.Op, c.ItemID, have, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no change published")
		}
	})
}
