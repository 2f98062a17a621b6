package genai

import "math/bits"

// keyTable maps attribute keys to the slots they feed. It is built once per
// Extractor from the source tables and the template keys: a hash of the key
// length and of a few of its bytes, chosen where keys that share prefixes
// such as "gen_ai." differ (see hashKey), with a seed chosen at build time so
// that every known key has its own bucket. A lookup is then one hash, one
// load and one string comparison, hit or miss, and never allocates. Keys that
// no seed separates (same length and same sampled bytes) and one-byte keys go
// to an overflow map, which stays nil in practice.
type keyTable struct {
	seed     uint32
	shift    uint32 // 32 - log2(len(entries))
	entries  []keyEntry
	slots    []slot
	overflow map[string]*keyEntry
}

type keyEntry struct {
	key  string // "" marks an empty bucket
	slot slot   // the key's first slot
	more uint16 // the key's further slots are slots[more : more+n]
	n    uint16
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
	minKeyTableBits = 6
	maxKeyTableBits = 12
	seedsPerSize    = 4096
	minHashedKeyLen = 2
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

	// Find the smallest table and a seed that give every key its own bucket;
	// failing that, the largest table with the seed that places the most keys.
	bits := uint32(minKeyTableBits)
	for bits < maxKeyTableBits && 1<<bits < 4*len(keys) {
		bits++
	}
	bestBits, bestSeed, bestPlaced := bits, uint32(0), -1
	used := make([]bool, 1<<maxKeyTableBits)
search:
	for ; bits <= maxKeyTableBits; bits++ {
		for seed := uint32(0); seed < seedsPerSize; seed++ {
			s := seed * 0x9e3779b9
			clear(used[:1<<bits])
			placed := 0
			for _, k := range keys {
				i := hashKey(k, s, 32-bits)
				if !used[i] {
					used[i] = true
					placed++
				}
			}
			if placed > bestPlaced {
				bestBits, bestSeed, bestPlaced = bits, s, placed
			}
			if placed == len(keys) {
				break search
			}
		}
	}

	t := &keyTable{seed: bestSeed, shift: 32 - bestBits, entries: make([]keyEntry, 1<<bestBits)}
	for _, k := range append(keys, short...) {
		ss := byKey[k]
		e := keyEntry{key: k, slot: ss[0], more: uint16(len(t.slots)), n: uint16(len(ss) - 1)}
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

// lookup returns the entry of key, or nil. Most keys feed one slot
// (entry.slot); a key that feeds several has the others in extra(entry).
// It is small enough to be inlined in Extract's attribute loop; the overflow
// map is only consulted when it exists.
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
// 16 bytes (two 8-byte loads; a key of 8 to 15 bytes is read whole, a shorter
// one by three of its bytes). Multiplicative hashing keeps the top bits.
// Extract inlines the case n ≥ 16 by hand: keep the two in step.
func hashKey(k string, seed, shift uint32) uint32 {
	n := uint(len(k))
	var h uint64
	switch {
	case n >= 16:
		t := k[n-16:]
		h = le64(t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7]) ^
			bits.RotateLeft64(le64(t[8], t[9], t[10], t[11], t[12], t[13], t[14], t[15]), 31)
	case n >= 8:
		a, b := k[:8], k[n-8:]
		h = le64(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]) ^
			bits.RotateLeft64(le64(b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]), 31)
	default:
		h = uint64(k[n-1])<<8 ^ uint64(k[n-2])<<16 ^ uint64(k[n>>1])<<24
	}
	h = (h ^ uint64(n) ^ uint64(seed)<<32) * hashMultiplier
	return uint32(h>>32) >> (shift & 31)
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
