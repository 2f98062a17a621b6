// Copyright The otelcol-llm Authors
// SPDX-License-Identifier: Apache-2.0

package genai

import "math/bits"

// keyTable maps attribute keys to the slots they feed. It is built once per
// Extractor from the source tables and the template keys: a hash of the key
// length and of a few of its bytes, chosen where keys that share prefixes
// such as "gen_ai." differ (see hashKey), with a seed chosen at build time so
// that every known key has its own bucket. A lookup is then one hash, one
// load and one comparison, hit or miss, and never allocates. The table has a
// fixed size (keyTableBits), so that a lookup needs no bounds check and
// shifts by a constant: a seed that gives every key its own bucket is found
// for up to about 130 keys (the default tables have under 90;
// TestKeyTableDefaultIsPerfect keeps them perfect). Keys that no seed
// separates (same length and same sampled bytes), keys beyond that size, and
// one-byte keys go to an overflow map, which stays nil in practice; with an
// overflow map, or keys shorter than minWordKeyLen, foundSet.scan takes its
// slower general loop.
type keyTable struct {
	seed     uint32
	shift    uint32 // 32 - keyTableBits
	seed64   uint64 // seed << 32: hashKey's seed for a 64-bit product
	entries  *[1 << keyTableBits]keyEntry
	slots    []slot
	overflow map[string]*keyEntry
	short    bool // some key is shorter than minWordKeyLen
	// lenLast rules out most absent keys before hashing: bit c%64 of
	// lenLast[n%64] is set when a key of length n ends with byte c.
	lenLast [64]uint64
}

type keyEntry struct {
	key string // "" marks an empty bucket
	// For a key of minWordKeyLen bytes or more, a and b are the two words
	// hashKey reads (see hashWords), c its bytes 0-7 and d its bytes 8-15
	// (its last 8 when shorter than 16): with the length, they compare a key
	// of up to 32 bytes whole, without a call (see foundSet.scan).
	a, b, c, d uint64
	slot       slot   // the key's first slot
	more       uint16 // the key's further slots are slots[more : more+n]
	n          uint16
}

// slot is one (field, priority) a key feeds. Priority is the key's position in
// the field's source list: lower is better.
type slot struct {
	field field
	prio  uint8
}

// keyBinding is one row given to newKeyTable.
type keyBinding struct {
	key string
	slot
}

const (
	keyTableBits    = 10 // a keyTable has 1 << keyTableBits buckets
	keyTableShift   = 64 - keyTableBits
	nameTableBits   = 8 // a nameTable has 1 << nameTableBits buckets
	seedsTried      = 4096
	minHashedKeyLen = 2
	minWordKeyLen   = 8 // keys this long are hashed (and compared) by words
)

func newKeyTable(bindings []keyBinding) *keyTable {
	// Group the slots by key, keeping first-seen key order.
	var keys []string
	byKey := map[string][]slot{}
	var short []string
	for _, b := range bindings {
		if b.key == "" {
			continue // an empty key is never present
		}
		if _, seen := byKey[b.key]; !seen {
			if len(b.key) < minHashedKeyLen {
				short = append(short, b.key)
			} else {
				keys = append(keys, b.key)
			}
		}
		byKey[b.key] = append(byKey[b.key], b.slot)
	}

	seed := findSeed(keys, hashKey, keyTableBits)
	t := &keyTable{seed: seed, shift: 32 - keyTableBits, seed64: uint64(seed) << 32, entries: new([1 << keyTableBits]keyEntry)}
	for _, k := range append(keys, short...) {
		t.short = t.short || len(k) < minWordKeyLen
		t.lenLast[len(k)&63] |= 1 << (k[len(k)-1] & 63)
		ss := byKey[k]
		e := keyEntry{key: k, slot: ss[0], more: uint16(len(t.slots)), n: uint16(len(ss) - 1)}
		if len(k) >= minWordKeyLen {
			e.a, e.b = hashWords(k)
			e.c, e.d = word(k, 0), word(k, min(8, len(k)-8))
		}
		t.slots = append(t.slots, ss[1:]...)
		if len(k) >= minHashedKeyLen {
			if b := &t.entries[hashKey(k, t.seed, t.shift)]; b.key == "" {
				*b = e
				continue
			}
		}
		if t.overflow == nil {
			t.overflow = map[string]*keyEntry{}
		}
		t.overflow[k] = &e
	}
	return t
}

// findSeed returns a seed for hash that gives every key (of at least
// minHashedKeyLen bytes, all distinct) its own bucket among 1 << bits;
// failing that, the seed that places the most keys.
func findSeed(keys []string, hash func(k string, seed, shift uint32) uint32, bits uint32) uint32 {
	bestSeed, bestPlaced := uint32(0), -1
	used := make([]bool, 1<<bits)
	for seed := range uint32(seedsTried) {
		s := seed * 0x9e3779b9
		clear(used)
		placed := 0
		for _, k := range keys {
			if i := hash(k, s, 32-bits); !used[i] {
				used[i] = true
				placed++
			}
		}
		if placed == len(keys) {
			return s
		}
		if placed > bestPlaced {
			bestSeed, bestPlaced = s, placed
		}
	}
	return bestSeed
}

// lookup returns the entry of key, or nil. Most keys feed one slot
// (entry.slot); a key that feeds several has the others in extra(entry).
// The overflow map is only consulted when it exists. foundSet.scan inlines
// it by hand for tables whose keys all have their own bucket and at least
// minWordKeyLen bytes.
func (t *keyTable) lookup(key string) *keyEntry {
	if len(key) >= minHashedKeyLen {
		if e := &t.entries[hashKey(key, t.seed, t.shift)]; e.key == key {
			return e
		}
	}
	if t.overflow == nil {
		return nil
	}
	return t.lookupOverflow(key)
}

//go:noinline
func (t *keyTable) lookupOverflow(key string) *keyEntry { return t.overflow[key] }

// extra returns the slots of e after the first.
func (t *keyTable) extra(e *keyEntry) []slot {
	return t.slots[e.more : int(e.more)+int(e.n)]
}

// hashKey hashes a key of at least minHashedKeyLen bytes into
// [0, 2^(32-shift)). Keys of a dialect share long prefixes ("gen_ai.usage.")
// and differ near their end, so the hash reads the key's length and its last
// 16 bytes (two 8-byte loads, see hashWords; a key of 8 to 15 bytes is read
// whole, a shorter one by three of its bytes). Multiplicative hashing keeps
// the top bits. (*foundSet).scan inlines the case n ≥ minWordKeyLen by hand:
// keep the two in step.
func hashKey(k string, seed, shift uint32) uint32 {
	n := uint(len(k))
	var h uint64
	switch {
	case n >= 16:
		w := k[n-16:]
		h = le64(w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]) ^
			bits.RotateLeft64(le64(w[8], w[9], w[10], w[11], w[12], w[13], w[14], w[15]), 31)
	case n >= minWordKeyLen:
		h = word(k, 0) ^ bits.RotateLeft64(word(k, int(n)-8), 31)
	default:
		h = uint64(k[n-1])<<8 ^ uint64(k[n-2])<<16 ^ uint64(k[n>>1])<<24
	}
	h = (h ^ uint64(n) ^ uint64(seed)<<32) * hashMultiplier
	return uint32(h>>32) >> (shift & 31)
}

// hashWords returns the two 8-byte words hashKey reads from a key of at
// least minWordKeyLen bytes: its last 16 bytes, or for a key shorter than
// 16 its first and last 8 (which then cover it whole).
func hashWords(k string) (a, b uint64) {
	n := len(k)
	if n >= 16 {
		w := k[n-16:]
		return le64(w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]),
			le64(w[8], w[9], w[10], w[11], w[12], w[13], w[14], w[15])
	}
	return word(k, 0), word(k, n-8)
}

// word returns the 8 bytes of s at i, little endian.
func word(s string, i int) uint64 {
	w := s[i : i+8]
	return le64(w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7])
}

// hashMultiplier is 2^64 / φ, odd: the top bits of a product depend on
// every bit of the other factor.
const hashMultiplier = 0x9e3779b97f4a7c15

// le64 assembles 8 bytes little endian: the compiler turns adjacent byte
// loads into one 8-byte load on amd64 and arm64.
func le64(b0, b1, b2, b3, b4, b5, b6, b7 byte) uint64 {
	return uint64(b0) | uint64(b1)<<8 | uint64(b2)<<16 | uint64(b3)<<24 |
		uint64(b4)<<32 | uint64(b5)<<40 | uint64(b6)<<48 | uint64(b7)<<56
}

// nameTable maps the strings of a fixed list to values by exact match:
// one hash (nameHash) and one comparison. It is the fast path of lookups
// that compare ASCII case-insensitively against lower-case lists (values as
// instruments write them are nearly always lower case already): a miss says
// nothing, the caller then scans its list. It has a fixed size, for lookups
// without bounds checks; names that no seed separates, and names shorter
// than minHashedKeyLen, are left out (their lookups take the slow path).
type nameTable struct {
	seed    uint32
	entries *[1 << nameTableBits]nameEntry
}

type nameEntry struct {
	name  string // "" marks an empty bucket
	value string
}

// newNameTable builds the table of names[i] → values[i]; a repeated name
// maps to its first value.
func newNameTable(names, values []string) nameTable {
	var keys []string
	value := map[string]string{}
	for i, s := range names {
		if _, seen := value[s]; !seen && len(s) >= minHashedKeyLen {
			value[s] = values[i]
			keys = append(keys, s)
		}
	}
	seed := findSeed(keys, nameHash, nameTableBits)
	t := nameTable{seed: seed, entries: new([1 << nameTableBits]nameEntry)}
	for _, k := range keys {
		if e := &t.entries[nameHash(k, t.seed, 32-nameTableBits)]; e.name == "" {
			*e = nameEntry{k, value[k]}
		}
	}
	return t
}

// nameHash hashes a name of at least minHashedKeyLen bytes into
// [0, 2^(32-shift)) from its length and four of its bytes: cheaper than
// hashKey for the short values it is used for.
func nameHash(s string, seed, shift uint32) uint32 {
	n := len(s)
	h := uint64(n) ^ uint64(s[0])<<8 ^ uint64(s[n>>1])<<16 ^ uint64(s[n-2])<<24 ^ uint64(s[n-1])<<32
	return uint32((h^uint64(seed)<<40)*hashMultiplier>>32) >> (shift & 31)
}

// find returns the value of s, if the table has it. normalizeProvider
// inlines it.
func (t *nameTable) find(s string) (string, bool) {
	if len(s) < minHashedKeyLen {
		return "", false
	}
	if e := &t.entries[nameHash(s, t.seed, 32-nameTableBits)]; e.name == s {
		return e.value, true
	}
	return "", false
}
