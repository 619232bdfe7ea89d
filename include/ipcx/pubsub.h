/*
 * ipcx/pubsub.h - publish/subscribe with topics, and the worker pool
 * (anycast), on top of ipcx channels.
 *
 * A publisher sends (topic, message); a subscriber subscribes to topic
 * prefixes and receives only the messages whose topic starts with one of
 * them.  Over shm: it is one bcast ring (every subscriber reads the same
 * bytes, filtering at the subscriber); over unix: and tcp: the publisher
 * sends each message to each subscriber whose prefixes match (a fan-out).
 * Each subscriber chooses: lossless (the default: the publisher waits for
 * it, or gets -EAGAIN / -ETIMEDOUT) or IPCX_SUB_LOSSY (it never holds the
 * publisher back; what it missed is counted, ipcx_sub_lost()).
 *
 * A pool: submitters put jobs into one queue, any number of workers take
 * them; each job goes to exactly one worker, and a job whose worker is
 * killed before ipcx_pool_done() is given to another worker
 * (docs/patterns.md says which schemes and how).
 */
#ifndef IPCX_PUBSUB_H
#define IPCX_PUBSUB_H

#include <ipcx.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ipcx_pub ipcx_pub;
typedef struct ipcx_sub ipcx_sub;
typedef struct ipcx_pool ipcx_pool;

/* The longest topic, in bytes (a topic is a string without NUL bytes). */
#define IPCX_TOPIC_MAX 255

/* The most prefixes one subscriber may hold. */
#define IPCX_SUB_PREFIXES 32

/* Flag of ipcx_sub_open(): never hold the publisher back; count what is missed. */
#define IPCX_SUB_LOSSY 0x100

/*
 * Flag of ipcx_pub_open(): a fan-out (unix:, tcp:) publisher holds what it
 * publishes in each subscriber's queue and writes a queue (many messages in
 * one system call, one wake-up of that subscriber) once it holds
 * IPCX_PUB_BATCH_BYTES, or at ipcx_pub_flush() and ipcx_pub_close().  The
 * guarantees are those of ipcx_publish(), counted from the flush.  On a
 * ring it changes nothing (a message is written once for everyone).
 */
#define IPCX_PUB_BATCH 0x200
#define IPCX_PUB_BATCH_BYTES (16 * 1024)

/*
 * Open a publisher on url (shm:/name, unix:/path, unix:@name,
 * tcp://host:port).  It creates what is needed (the ring; the socket
 * subscribers register with).  flags: 0, IPCX_NONBLOCK, IPCX_PUB_BATCH.
 */
IPCX_API int ipcx_pub_open(ipcx_pub **pub, const char *url, int flags);

/*
 * Publish len bytes under topic to every subscriber whose prefixes match.
 * Returns 0 once every lossless subscriber has it (or has it queued) and
 * every lossy one has it or has it counted as lost; -EAGAIN / -ETIMEDOUT
 * when a lossless subscriber has no room within timeout_ms (nobody got
 * the message: publish it again), -EMSGSIZE, -EINVAL for a bad topic.
 */
IPCX_API int ipcx_publish(ipcx_pub *pub, const char *topic, const void *msg, size_t len,
                          int timeout_ms);

/*
 * The number of subscribers the publisher knows now (a fan-out first takes
 * the registrations that arrived); shm: the receivers attached to the ring.
 */
IPCX_API int ipcx_pub_subscribers(ipcx_pub *pub);

/*
 * The URL subscribers open, e.g. the port a "tcp://127.0.0.1:0" publisher
 * was given.  Returns the length written (a NUL is added) or -ENOSPC.
 */
IPCX_API int ipcx_pub_addr(const ipcx_pub *pub, char *buf, size_t cap);

/*
 * Write what the subscribers' queues hold: 0 once every lossless subscriber
 * has all of it, -EAGAIN / -ETIMEDOUT when one had no room within
 * timeout_ms (the rest stays queued; lossy ones get what fits now).
 */
IPCX_API int ipcx_pub_flush(ipcx_pub *pub, int timeout_ms);

/* Close the publisher, after a flush of at most two seconds; NULL is fine. */
IPCX_API int ipcx_pub_close(ipcx_pub *pub);

/*
 * Open a subscriber to the publisher at url.  flags: 0 (lossless) or
 * IPCX_SUB_LOSSY, optionally IPCX_NONBLOCK.  It receives nothing until
 * ipcx_subscribe().
 */
IPCX_API int ipcx_sub_open(ipcx_sub **sub, const char *url, int flags);

/* Also receive topics that start with prefix ("" is every topic). */
IPCX_API int ipcx_subscribe(ipcx_sub *sub, const char *prefix);

/*
 * Receive the next message whose topic matches: its topic (NUL-terminated)
 * into topic (tcap bytes; topic may be NULL), its body into buf.  Returns
 * the body's length; -ENOBUFS once when messages were lost since the last
 * receive (ipcx_sub_lost() says how many; receive again for the next);
 * -EMSGSIZE when it does not fit (the message is dropped and counted
 * lost), -EAGAIN / -ETIMEDOUT, -EPIPE when the publisher is gone, -EBADMSG
 * for a malformed message (dropped).
 */
IPCX_API long ipcx_sub_recv(ipcx_sub *sub, char *topic, size_t tcap, void *buf, size_t cap,
                            int timeout_ms);

/*
 * Wait until the publisher has taken this subscriber's first registration
 * (a fan-out answers it; a ring end is there from its open on): from then
 * on every matching message published reaches it or is counted lost.
 * 0, -ETIMEDOUT / -EAGAIN, or the publisher's refusal (-EMFILE: too many).
 */
IPCX_API int ipcx_sub_wait(ipcx_sub *sub, int timeout_ms);

/* How many messages this subscriber missed, in total. */
IPCX_API long long ipcx_sub_lost(const ipcx_sub *sub);

/* Close the subscriber; NULL is fine. */
IPCX_API int ipcx_sub_close(ipcx_sub *sub);

/*
 * Open a pool on url.  IPCX_SEND: a submitter; IPCX_RECV: a worker;
 * IPCX_CREATE as for ipcx_open.
 */
IPCX_API int ipcx_pool_open(ipcx_pool **pool, const char *url, int flags);

/* Submit one job; it goes to exactly one worker.  As ipcx_send. */
IPCX_API int ipcx_pool_submit(ipcx_pool *pool, const void *job, size_t len, int timeout_ms);

/*
 * Take the next job into buf and hold it: until ipcx_pool_done() it is
 * this worker's, and if the worker dies first it goes to another worker.
 * Returns its length; as ipcx_recv otherwise.
 */
IPCX_API long ipcx_pool_take(ipcx_pool *pool, void *buf, size_t cap, int timeout_ms);

/* The job taken is done: it is gone for good. */
IPCX_API int ipcx_pool_done(ipcx_pool *pool);

/* Close the pool end (a job taken and not done is given back); NULL is fine. */
IPCX_API int ipcx_pool_close(ipcx_pool *pool);

/*
 * Submitter: move the jobs on until every job submitted is done, or
 * timeout_ms: 0, -EAGAIN / -ETIMEDOUT with jobs still undone.  Over unix:
 * and tcp: the submitter is the dispatcher and jobs move only inside its
 * calls (this one and ipcx_pool_submit); over mq: it gives the jobs of
 * dead workers back to the queue and waits (polling every few ms) until
 * the queue is empty and no worker holds a job; over rings it returns 0
 * at once (the jobs are in the shared ring).
 */
IPCX_API int ipcx_pool_dispatch(ipcx_pool *pool, int timeout_ms);

/*
 * The URL workers open, e.g. the port a "tcp://127.0.0.1:0" submitter was
 * given.  The length written (a NUL is added) or -ENOSPC.
 */
IPCX_API int ipcx_pool_addr(const ipcx_pool *pool, char *buf, size_t cap);

/*
 * How many jobs this end gave out again because the worker that held them
 * was lost (unix:, tcp: the dispatcher; mq: the jobs this end took over
 * or put back); -ENOTSUP on rings, which do not count per end.
 */
IPCX_API long long ipcx_pool_redelivered(const ipcx_pool *pool);

/*
 * The workers of the pool now (unix:, tcp: the connections that said
 * hello; mq: the live workers in the table); -ENOTSUP on rings.
 */
IPCX_API int ipcx_pool_workers(ipcx_pool *pool);

/* Remove what a pool on url left behind (the queue and its table, the socket file). */
IPCX_API int ipcx_pool_unlink(const char *url);

#ifdef __cplusplus
}
#endif
#endif
