package genai

// keyTable maps attribute keys to the slots they feed. It is built once per
// Extractor from the source tables and the template keys: a hash of the key
// length, its last two bytes and its middle byte (keys share prefixes such as
// "gen_ai.", so their ends tell them apart), with a seed chosen at build time
// so that every known key has its own bucket. A lookup is then one hash, one
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
	seedsPerSize    = 256
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

// hashKey hashes the length and three bytes of a key of at least
// minHashedKeyLen bytes into [0, 2^(32-shift)): multiplicative hashing keeps
// the top bits.
func hashKey(k string, seed, shift uint32) uint32 {
	n := uint(len(k))
	h := uint32(n) ^ uint32(k[n-1])<<8 ^ uint32(k[n-2])<<16 ^ uint32(k[n>>1])<<24
	return ((h ^ seed) * 0x9e3779b1) >> (shift & 31)
}
