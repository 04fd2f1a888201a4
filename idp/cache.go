package idp

import (
	"sync"
	"time"
)

// cacheTTL is how long clients and signing keys stay in memory. The library
// requests the same client and key several times per flow. A few seconds
// absorb that, and a deleted client or a rotated key still takes effect on
// every node within those few seconds.
const cacheTTL = 5 * time.Second

// cacheMaxEntries bounds a cache so that a flood of distinct client IDs
// cannot grow memory. A full cache is emptied at once rather than evicted
// entry by entry, because its entries live only a few seconds anyway.
const cacheMaxEntries = 1024

// ttlCache is a small map whose entries expire after a fixed wall-clock
// time, whatever clock the provider is configured with. It is safe for
// concurrent use.
type ttlCache[K comparable, V any] struct {
	mu      sync.Mutex
	ttl     time.Duration
	entries map[K]cacheEntry[V]
}

type cacheEntry[V any] struct {
	value   V
	expires time.Time
}

func newTTLCache[K comparable, V any](ttl time.Duration) *ttlCache[K, V] {
	return &ttlCache[K, V]{ttl: ttl, entries: make(map[K]cacheEntry[V])}
}

func (c *ttlCache[K, V]) get(key K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || !time.Now().Before(e.expires) {
		var zero V
		return zero, false
	}
	return e.value, true
}

func (c *ttlCache[K, V]) put(key K, value V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= cacheMaxEntries {
		clear(c.entries)
	}
	c.entries[key] = cacheEntry[V]{value: value, expires: time.Now().Add(c.ttl)}
}
