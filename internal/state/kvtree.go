package state

import (
	"slices"
	"sort"
	"strings"

	"github.com/concordhq/concord/api"
)

// kvTree is the KV table: a copy-on-write B+tree of entries in key order.
//
// It is not a memdb table because memdb's radix tree costs ~360 B per key
// (a node and a leaf, each with its own watch channel, and a copy of the
// key), more than a 256 B value; here a key costs one slot of a leaf,
// ~10 B (issue 22). A published tree never changes: a write transaction
// copies the nodes on the paths it changes, and changes in place only the
// nodes it copied or made itself, which carry its id (as memdb's own
// transactions do). The root is one row of memdb's kv_root table, so a
// memdb transaction sees the tree of its own time, and commit, abort and
// snapshots work as for every other table. Watches are in kvWatches.
//
// Deletes drop empty nodes but do not merge thin ones: a tree that lost
// most of its keys keeps some slack until the keys come back.
type kvTree struct {
	root *kvNode // nil when empty
	size int     // entries
}

// kvNodeMax is the most entries (leaf) or children (inner node) a node
// holds before it splits.
const kvNodeMax = 64

// kvNode is a leaf (pairs) or an inner node (kids and mins).
type kvNode struct {
	owner uint64        // id of the write transaction that made it
	pairs []*api.KVPair // leaf: entries in key order
	kids  []*kvNode     // inner: children in key order
	mins  []string      // inner: mins[i] is the smallest key under kids[i]
}

func (n *kvNode) leaf() bool { return n.kids == nil }

// min is the smallest key under n.
func (n *kvNode) min() string {
	if n.leaf() {
		return n.pairs[0].Key
	}
	return n.mins[0]
}

// child is the index of the child whose range holds key.
func (n *kvNode) child(key string) int {
	i := sort.Search(len(n.mins), func(i int) bool { return n.mins[i] > key })
	return max(i-1, 0)
}

// find is the index of the first entry of a leaf at or after key, and
// whether it is key.
func (n *kvNode) find(key string) (int, bool) {
	i := sort.Search(len(n.pairs), func(i int) bool { return n.pairs[i].Key >= key })
	return i, i < len(n.pairs) && n.pairs[i].Key == key
}

// get returns the entry for key, or nil.
func (t *kvTree) get(key string) *api.KVPair {
	for n := t.root; n != nil; n = n.kids[n.child(key)] {
		if n.leaf() {
			if i, ok := n.find(key); ok {
				return n.pairs[i]
			}
			return nil
		}
	}
	return nil
}

// walk calls fn for every entry whose key starts with prefix, in key
// order. The tree must not change during the walk.
func (t *kvTree) walk(prefix string, fn func(*api.KVPair)) {
	if t.root != nil {
		t.root.ascend(prefix, func(e *api.KVPair) bool {
			if !strings.HasPrefix(e.Key, prefix) {
				return false
			}
			fn(e)
			return true
		})
	}
}

// ascend calls fn for the entries at or after from, in key order, while fn
// returns true; it reports whether fn always did.
func (n *kvNode) ascend(from string, fn func(*api.KVPair) bool) bool {
	if n.leaf() {
		i, _ := n.find(from)
		for _, e := range n.pairs[i:] {
			if !fn(e) {
				return false
			}
		}
		return true
	}
	for _, kid := range n.kids[n.child(from):] {
		if !kid.ascend(from, fn) {
			return false
		}
	}
	return true
}

// kvWriter changes a tree for one write transaction. Its tree is private
// until the transaction commits it.
type kvWriter struct {
	id      uint64   // never used by another writer of the same store
	tree    kvTree   // the tree as this transaction has changed it
	changed []string // keys written or deleted, for the watches
}

// writable returns n if this writer made it, else a copy this writer owns.
func (w *kvWriter) writable(n *kvNode) *kvNode {
	if n.owner == w.id {
		return n
	}
	return &kvNode{owner: w.id, pairs: slices.Clone(n.pairs), kids: slices.Clone(n.kids), mins: slices.Clone(n.mins)}
}

// set puts e in the tree, replacing the entry with its key.
func (w *kvWriter) set(e *api.KVPair) {
	w.changed = append(w.changed, e.Key)
	if w.tree.root == nil {
		w.tree.root = &kvNode{owner: w.id, pairs: []*api.KVPair{e}}
		w.tree.size = 1
		return
	}
	root, split, added := w.setIn(w.tree.root, e)
	if split != nil {
		root = &kvNode{owner: w.id, kids: []*kvNode{root, split}, mins: []string{root.min(), split.min()}}
	}
	w.tree.root = root
	if added {
		w.tree.size++
	}
}

// setIn puts e under n and returns n's writable copy, its new right half
// when it split, and whether e's key is new.
func (w *kvWriter) setIn(n *kvNode, e *api.KVPair) (*kvNode, *kvNode, bool) {
	n = w.writable(n)
	if n.leaf() {
		i, found := n.find(e.Key)
		if found {
			n.pairs[i] = e
			return n, nil, false
		}
		n.pairs = slices.Insert(n.pairs, i, e)
		if len(n.pairs) <= kvNodeMax {
			return n, nil, true
		}
		half := len(n.pairs) / 2
		right := &kvNode{owner: w.id, pairs: slices.Clone(n.pairs[half:])}
		n.pairs = slices.Delete(n.pairs, half, len(n.pairs))
		return n, right, true
	}
	i := n.child(e.Key)
	kid, split, added := w.setIn(n.kids[i], e)
	n.kids[i] = kid
	n.mins[i] = kid.min()
	if split == nil {
		return n, nil, added
	}
	n.kids = slices.Insert(n.kids, i+1, split)
	n.mins = slices.Insert(n.mins, i+1, split.min())
	if len(n.kids) <= kvNodeMax {
		return n, nil, added
	}
	half := len(n.kids) / 2
	right := &kvNode{owner: w.id, kids: slices.Clone(n.kids[half:]), mins: slices.Clone(n.mins[half:])}
	n.kids = slices.Delete(n.kids, half, len(n.kids))
	n.mins = slices.Delete(n.mins, half, len(n.mins))
	return n, right, added
}

// delete removes key's entry, if there is one.
func (w *kvWriter) delete(key string) {
	if w.tree.get(key) == nil {
		return
	}
	w.changed = append(w.changed, key)
	root := w.deleteIn(w.tree.root, key)
	for root != nil && !root.leaf() && len(root.kids) == 1 {
		root = root.kids[0]
	}
	w.tree.root = root
	w.tree.size--
}

// deleteIn removes key, which is under n, and returns n's writable copy,
// or nil when n is left empty.
func (w *kvWriter) deleteIn(n *kvNode, key string) *kvNode {
	n = w.writable(n)
	if n.leaf() {
		i, _ := n.find(key)
		n.pairs = slices.Delete(n.pairs, i, i+1)
		if len(n.pairs) == 0 {
			return nil
		}
		return n
	}
	i := n.child(key)
	kid := w.deleteIn(n.kids[i], key)
	if kid == nil {
		n.kids = slices.Delete(n.kids, i, i+1)
		n.mins = slices.Delete(n.mins, i, i+1)
		if len(n.kids) == 0 {
			return nil
		}
		return n
	}
	n.kids[i] = kid
	n.mins[i] = kid.min()
	return n
}
