package live

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/opsroom/opsroom/internal/access"
)

// Ref is one reference a change's Data makes to another item: the item,
// its marking when the change was made, and where in Data it appears.
//
// Path is a dot-separated list of object keys; a key ending in "[]"
// steps into each element of an array. The last step says what goes
// when the referenced item is hidden from a subscriber: "key" removes
// the key (whatever value names the item), "key[]" removes the array's
// elements that name it (the ID itself, or an object holding it). So
// "supporting[]" drops a hidden report from a claim's list, "event"
// drops the claim's event, "b" drops a conflict's other side and
// "answers[]" drops an answer citing a hidden report.
//
// The rule (docs/ARCHITECTURE.md, References): a reference to an item
// the reader may not see is left out, never shown as a placeholder.
type Ref struct {
	ID      string         `json:"id"`
	Path    string         `json:"path"`
	Marking access.Marking `json:"marking"`
}

// hiddenRefs returns the IDs among c's references that v may not see,
// judged on each reference's marking when the change was made and the
// newest marking the bus knows (marks), so that a target whose marking
// narrowed since is hidden on replay too.
func hiddenRefs(v access.Viewer, c *Change, newest marks) []string {
	var out []string
	for _, r := range c.Refs {
		ok := access.CanSee(v, c.RoomID, r.Marking) && newest.canSee(v, c.RoomID, r.ID)
		if !ok && !containsStr(out, r.ID) {
			out = append(out, r.ID)
		}
	}
	return out
}

func containsStr(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// redact returns c as a subscriber who may not see the items hidden sees
// it: every path of a hidden reference removed from Data, and the frame
// encoded again. Should the ID still appear anywhere in the result (a
// publisher that named it somewhere its Refs do not say), Data is
// dropped altogether and the client refetches the item.
func redact(c Change, hidden []string) Change {
	c.frame = nil
	refs := c.Refs
	c.Refs = nil // the copy names none of the hidden items, not even here
	for _, r := range refs {
		if !containsStr(hidden, r.ID) {
			c.Refs = append(c.Refs, r)
		}
	}
	if len(c.Data) == 0 {
		return c
	}
	var doc any
	if json.Unmarshal(c.Data, &doc) != nil {
		c.Data = nil
		return c
	}
	for _, r := range refs {
		if containsStr(hidden, r.ID) {
			doc = removePath(doc, strings.Split(r.Path, "."), r.ID)
		}
	}
	b, err := json.Marshal(doc)
	if err != nil {
		c.Data = nil
		return c
	}
	for _, id := range hidden {
		if bytes.Contains(b, []byte(id)) {
			c.Data = nil
			return c
		}
	}
	c.Data = b
	return c
}

// removePath removes what names id at path inside v.
func removePath(v any, path []string, id string) any {
	if len(path) == 0 {
		return v
	}
	key, each := strings.CutSuffix(path[0], "[]")
	obj, ok := v.(map[string]any)
	if !ok {
		return v
	}
	val, ok := obj[key]
	if !ok {
		return v
	}
	last := len(path) == 1
	switch {
	case last && !each:
		if names(val, id) {
			delete(obj, key)
		}
	case each:
		arr, ok := val.([]any)
		if !ok {
			if last && names(val, id) {
				delete(obj, key)
			}
			return v
		}
		out := arr[:0]
		for _, e := range arr {
			if last {
				if !names(e, id) {
					out = append(out, e)
				}
				continue
			}
			out = append(out, removePath(e, path[1:], id))
		}
		obj[key] = out
	default:
		obj[key] = removePath(val, path[1:], id)
	}
	return v
}

// names reports whether v is id or holds it anywhere.
func names(v any, id string) bool {
	switch x := v.(type) {
	case string:
		return x == id
	case []any:
		for _, e := range x {
			if names(e, id) {
				return true
			}
		}
	case map[string]any:
		for _, e := range x {
			if names(e, id) {
				return true
			}
		}
	}
	return false
}
