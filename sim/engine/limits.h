/* Tuning knobs of the engine, in one place (as Lua keeps luaconf.h). */
#ifndef SIM_LIMITS_H
#define SIM_LIMITS_H

/* Events per pool chunk. 4096 x 40-byte records = 160 KiB: large enough that
 * growth is rare, small enough that a tiny model does not pay for it. */
#define SIM_POOL_CHUNK_SHIFT  12
#define SIM_POOL_CHUNK_EVENTS (1u << SIM_POOL_CHUNK_SHIFT)

/* Slots are 32-bit indices: at most 2^32 - 1 events pending at once, i.e.
 * 160 GiB of records; no scenario comes near. */
#define SIM_POOL_MAX_CHUNKS (UINT32_MAX >> SIM_POOL_CHUNK_SHIFT)

/* Initial capacity of the pending-event heap (entries); it doubles on demand. */
#define SIM_QUEUE_INITIAL_CAPACITY 1024u

/* Cancelled events stay in the heap until they surface (O(1) cancel). When
 * they outnumber live ones and exceed this count, the heap is rebuilt
 * without them, so a model that cancels constantly uses bounded memory. */
#define SIM_QUEUE_COMPACT_MIN_DEAD 4096u

/* Events one replica may process unless `--max-events` says otherwise. A
 * 30-day replica of the reference scenario takes about 10^4 events, one of
 * 16 regions x 100,000 servers about 4 x 10^5, a request-level one about 2
 * per request (10^7 is some 5 million requests, a second of work). A
 * scenario that schedules faster than it can be simulated is refused
 * before it starts when scenario_event_floor says it needs more, else
 * stopped here: an event that records an incident costs about 250 bytes,
 * so the budget also bounds such a replica's memory to a few GiB. */
#define SIM_DEFAULT_MAX_EVENTS 10000000ull

/* Named random streams per simulation; models ask for a few per entity kind. */
#define SIM_STREAM_NAME_MAX 64

#endif
