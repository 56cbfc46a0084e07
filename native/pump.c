/*
 * The output pump (issue 18): children's output pipes read in C, on the event loop's thread, with
 * JavaScript called once per loop iteration for all of them instead of once per read.
 *
 * A pipe handed to the pump is watched with uv_poll. When it is readable, its callback reads it until
 * EAGAIN (or a budget, so that one flooding program does not starve the others) into the pump's data
 * buffer, and, for the output that goes to procinit's stdout, formats it into the pump's out buffer:
 *
 *   PUMP_JS      bytes as read; JavaScript does everything (log files, /dev/stderr, JSON lines, ...)
 *   PUMP_RAW     bytes as read, written to stdout as they are, from the data buffer itself (supervisord's
 *                stdout_logfile=/dev/stdout: a read of a pipe written in whole lines of at most PIPE_BUF
 *                bytes is whole lines); JavaScript gets them cut into whole lines as for PUMP_PREFIX (the
 *                ring), and the bytes as read (the debug echo)
 *   PUMP_PREFIX  cut at the last "\n" (the rest, an unterminated line, waits for the pipe's next read or its
 *                end, as src/output/lines.ts's LineChunker does), and prefix + line + "\n" for every line
 *                written to out (the same loop as prefixLines): lines of different programs never mix
 *
 * After the poll phase (a uv_check handle), or sooner when a buffer is full, the pump calls its JavaScript
 * callback once: flush(outBytes, entries). The callback has the stdout bytes written (one writev when they
 * all go to one hub), then hands each entry (a pipe's stretch of data, its end) to the hub for what needs
 * JavaScript: the ring, followers, log files, the debug echo. Nothing in the buffers outlives the callback
 * (it copies what it keeps).
 *
 * Entries are 8 int32 in meta: pipe id, data offset, data length, flags (PUMP_END: the pipe ended after
 * this data; PUMP_OUT: the pump writes it to stdout (pumpWrite), from out, or from the data buffer when
 * PUMP_IN_DATA; PUMP_FORMAT: a stretch too big for out, which JavaScript writes itself), out offset and
 * length, for PUMP_PREFIX and PUMP_RAW the number of line parts (the ring's count, found on the way), and
 * where in the stretch the newest keepLines parts begin (0: all of it): the ring keeps the last keepLines
 * lines of a process, so it need not copy the lines before those (a pipe read whole is thousands of lines). One pump
 * serves every hub of the process (tests make many): each entry says where its bytes are, and the callback
 * writes each run of entries to its own hub's stdout. Back-pressure: pumpPause stops a pipe's poll (the
 * program blocks on its full pipe), pumpResume starts it again. A pipe ends at end-of-file or a read error:
 * its fd is closed here.
 *
 *   pumpCreate(data, out, meta, flush) -> pump
 *   pumpAdd(pump, fd, id, mode, prefix, maxLine[, keepLines]) -> pipe
 *   pumpPrefix(pipe, prefix)        a new prefix (the formatter's names changed width)
 *   pumpPause(pipe) / pumpResume(pipe)
 *   pumpDrain(pipe)                  read what the pipe holds now and flush (the program just exited)
 *   pumpWrite(fd, first, end)        during a flush: write the stdout bytes of those entries
 *   pumpRelease(pump)               give the buffers' pages back (MADV_DONTNEED; refilled on use): after a flood
 *   pumpGrow(allowed)               whether pipes that fill up may be made big (not while followers are attached)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>
#include "addon.h"

enum { PUMP_JS = 0, PUMP_RAW = 1, PUMP_PREFIX = 2 };
enum { PUMP_END = 1, PUMP_OUT = 2, PUMP_FORMAT = 4, PUMP_IN_DATA = 8 };

#define META_INTS 8
/* Bytes one pipe may give per readiness before the others get their turn. */
#define BUDGET (256 * 1024)
/*
 * What a read asks for: a pipe's whole capacity (Linux's default), as a net.Socket reads it. A read asking for
 * less may end in the middle of a write, where a program that writes whole lines of at most PIPE_BUF bytes
 * never cuts them: raw output would cut a line there, between the reads of two programs.
 */
#define READ_BYTES (64 * 1024)
#define MIN_READ 4096
/*
 * A pipe whose read took most of its capacity (a program writing faster than one wake-up per 64 KiB) is made
 * BIG_PIPE bytes (F_SETPIPE_SZ) and read BIG_PIPE at a time: a quarter of the wake-ups, reads and writes on
 * both sides, and the ring keeps only the newest lines of each read. Not bigger: the reads, the formatting
 * and the write of one loop iteration stay within a core's cache (1 MiB was slower than 64 KiB here). At
 * most MAX_BIG_PIPES at once: the kernel counts each pipe's capacity against the user's
 * /proc/sys/fs/pipe-user-pages-soft (64 MiB by default), over which an unprivileged user's new pipes get one
 * page each: 32 pipes of 256 KiB take an eighth of it. Memory: pages are taken only as a pipe fills (a
 * program blocks at 256 KiB of unread output instead of 64 KiB); a failed F_SETPIPE_SZ (EPERM over the
 * limit, an old kernel) leaves the pipe as it was.
 */
#define BIG_PIPE (256 * 1024)
#define MAX_BIG_PIPES 32
/*
 * Formatted bytes in out past which the pump flushes before its next read: out has room for a big read of
 * empty lines prefixed, but a flood of short lines (`yes`) would otherwise fill and keep all of it resident.
 */
#define OUT_SOFT (1024 * 1024)
static int big_pipes;
/*
 * pumpGrow(false) while `logs -f` or `connect` followers are attached: a big read is a burst of thousands of
 * records for every follower to encode and queue (100 followers of 4 floods: RSS 1.1x -> 1.4x idle), so pipes
 * are not made big then, and big ones go back to 64 KiB as soon as they are empty.
 */
static bool grow_allowed = true;

typedef struct pump pump_t;

typedef struct {
  uv_poll_t poll;
  pump_t *pump;
  int fd;
  int32_t id;
  int mode;
  char *prefix;
  size_t prefix_len;
  size_t max_line;
  size_t keep_lines; /* the ring's bound in lines (0: none): see newest_lines */
  size_t read_size;  /* what a read asks for: the pipe's capacity, as far as the pump knows it */
  bool big;          /* made BIG_PIPE by the pump (counted in big_pipes) */
  char *tail; /* PUMP_PREFIX: the unterminated line so far */
  size_t tail_len, tail_cap;
  bool polling, paused, ended;
  int refs; /* the JavaScript handle and the uv handle */
} pipe_t;

struct pump;
static struct pump *the_pump;

struct pump {
  napi_env env;
  napi_ref flush_fn, data_ref, out_ref, meta_ref, resource;
  napi_async_context context;
  uv_check_t check;
  char *data, *out;
  int32_t *meta;
  size_t data_cap, out_cap, meta_cap; /* meta_cap in entries */
  size_t data_len, out_len, entries;
  bool flushing;
};

static void pipe_unref(pipe_t *p) {
  if (--p->refs > 0) return;
  free(p->prefix);
  free(p->tail);
  free(p);
}

static void on_poll_closed(uv_handle_t *h) {
  pipe_unref(h->data);
}

/* Call the JavaScript callback with what is gathered; the buffers are empty again afterwards. */
static void flush(pump_t *pump) {
  if (pump->flushing || (pump->entries == 0 && pump->out_len == 0)) return;
  pump->flushing = true;
  napi_env env = pump->env;
  napi_handle_scope scope;
  bool scoped = napi_open_handle_scope(env, &scope) == napi_ok;
  /*
   * A callback scope, as napi_make_callback makes, but closed only once the buffers are free again: closing
   * it runs the promise jobs and nextTicks the callback queued (a run's end, a test's next step), and what
   * they do (a drain at a program's exit, say) must find the pump idle, not in the middle of this flush.
   */
  napi_value resource, fn, global, args[2], ignored;
  napi_callback_scope cscope;
  bool in_scope = scoped && napi_get_reference_value(env, pump->resource, &resource) == napi_ok &&
                  napi_open_callback_scope(env, resource, pump->context, &cscope) == napi_ok;
  if (scoped) {
    napi_create_double(env, (double)pump->out_len, &args[0]);
    napi_create_double(env, (double)pump->entries, &args[1]);
    if (napi_get_reference_value(env, pump->flush_fn, &fn) == napi_ok && napi_get_global(env, &global) == napi_ok &&
        napi_call_function(env, global, fn, 2, args, &ignored) == napi_pending_exception) {
      napi_value err;
      if (napi_get_and_clear_last_exception(env, &err) == napi_ok) napi_fatal_exception(env, err);
    }
  }
  pump->data_len = pump->out_len = pump->entries = 0;
  pump->flushing = false;
  if (in_scope) napi_close_callback_scope(env, cscope);
  if (scoped) napi_close_handle_scope(env, scope);
}

/*
 * prefix + line + "\n" for every line part of data[0, len) into dst, which has room for cap bytes: returns
 * the bytes written and the number of line parts (records) in *parts, or 0 when cap is too small (then
 * what dst holds is garbage). One pass: the room is checked line by line.
 */
static size_t prefix_into(const pipe_t *p, const char *data, size_t len, char *dst, size_t cap, size_t *parts) {
  size_t used = 0, start = 0, n_parts = 0;
  const size_t plen = p->prefix_len;
  while (start < len) {
    const char *nl = memchr(data + start, '\n', len - start);
    size_t stop = nl ? (size_t)(nl - data) : len;
    for (;;) {
      size_t cut = stop - start > p->max_line ? start + p->max_line : stop;
      size_t n = cut - start;
      if (cap - used < plen + n + 1) return 0;
      char *d = dst + used;
      memcpy(d, p->prefix, plen);
      memcpy(d + plen, data + start, n);
      d[plen + n] = '\n';
      used += plen + n + 1;
      n_parts++;
      if (cut == stop) break;
      start = cut;
    }
    start = stop + 1;
  }
  *parts = n_parts;
  return used;
}

/* The "\n" bytes of p[0, len), counted 32 lanes at a time (the compiler vectorizes the inner loop). */
static size_t count_newlines(const unsigned char *p, size_t len) {
  size_t n = 0;
  while (len > 0) {
    size_t chunk = len > 255 * 32 ? 255 * 32 : len; /* a lane counts at most 255 */
    uint8_t lanes[32] = {0};
    size_t i = 0;
    for (; i + 32 <= chunk; i += 32)
      for (int k = 0; k < 32; k++) lanes[k] += p[i + k] == '\n';
    for (int k = 0; k < 32; k++) n += lanes[k];
    for (; i < chunk; i++) n += p[i] == '\n';
    p += chunk;
    len -= chunk;
  }
  return n;
}

#define COUNT_BLOCK (16 * 1024)

/* The line parts (records) of data[0, len): each "\n", a last line without one, lines cut at maxLine. */
static size_t count_parts(const pipe_t *p, const char *data, size_t len) {
  /*
   * Fast path: when every whole COUNT_BLOCK-aligned block holds a "\n", no line is 2 * COUNT_BLOCK - 1 bytes or
   * longer (such a line would cover a whole block), so none is cut at maxLine: a part per "\n", and one for an
   * unterminated end. Else the lines are walked one by one.
   */
  if (p->max_line >= 2 * COUNT_BLOCK) {
    size_t n = 0, i = 0;
    bool every_block = true;
    for (; i + COUNT_BLOCK <= len && every_block; i += COUNT_BLOCK) {
      size_t c = count_newlines((const unsigned char *)data + i, COUNT_BLOCK);
      every_block = c > 0;
      n += c;
    }
    if (every_block) return n + count_newlines((const unsigned char *)data + i, len - i) + (len > 0 && data[len - 1] != '\n');
  }
  size_t n = 0, start = 0;
  while (start < len) {
    const char *nl = memchr(data + start, '\n', len - start);
    size_t stop = nl ? (size_t)(nl - data) : len;
    n += stop - start > p->max_line ? (stop - start + p->max_line - 1) / p->max_line : 1;
    start = stop + 1;
  }
  return n;
}

#define WALK_BLOCK 4096

/*
 * Where the newest keep_lines line parts of data[0, len) (whole lines, ending in "\n") begin, when it has more
 * (*parts then says keep_lines): the ring drops everything older once they are in. 0 (all of it) when it has
 * no more than keep_lines (*parts then is its exact count), and 0 with *parts unknown (SIZE_MAX: the caller
 * counts) when a line on the way may be longer than maxLine (then lines and parts differ) or the stretch does
 * not end a line. Walks back from the end counting "\n" a block at a time (count_newlines, vectorized): a
 * block of WALK_BLOCK bytes with a "\n" in every one bounds every line on the way below 2 * WALK_BLOCK, so
 * none is cut at maxLine; then memrchr inside the block where the walk ends. A raw stretch is not counted
 * whole (count_parts) when the ring needs only its end (a big pipe's read is 2,600 lines of 100 bytes).
 */
static size_t newest_lines(const pipe_t *p, const char *data, size_t len, size_t *parts) {
  *parts = SIZE_MAX;
  if (p->keep_lines == 0 || len == 0 || data[len - 1] != '\n' || p->max_line < 2 * WALK_BLOCK) return 0;
  const size_t want = p->keep_lines + 1; /* the "\n" just before the newest keep_lines lines */
  size_t pos = len, seen = 0;
  while (pos > 0) {
    size_t blk = pos < WALK_BLOCK ? pos : WALK_BLOCK;
    size_t c = count_newlines((const unsigned char *)data + pos - blk, blk);
    if (c == 0 && blk == WALK_BLOCK) return 0; /* maybe a long line: the caller counts */
    if (seen + c >= want) {
      size_t e = pos; /* the walk inside this block: the (want - seen)-th "\n" from its end */
      for (size_t k = seen; k < want; k++) e = (size_t)((const char *)memrchr(data + pos - blk, '\n', e - (pos - blk)) - data);
      *parts = p->keep_lines;
      return e + 1;
    }
    seen += c;
    pos -= blk;
  }
  *parts = seen; /* every line ends in "\n", none longer than maxLine */
  return 0;
}

/* One entry in meta (the caller has made room: entries < meta_cap). parts: SIZE_MAX when not counted yet (raw). */
static void add_entry(pipe_t *p, size_t off, size_t len, int32_t flags, size_t out_off, size_t out_len, size_t parts) {
  pump_t *pump = p->pump;
  int32_t *m = pump->meta + pump->entries * META_INTS;
  const char *data = pump->data + off;
  size_t counted;
  size_t from = parts == SIZE_MAX || parts > p->keep_lines ? newest_lines(p, data, len, &counted) : 0;
  if (parts == SIZE_MAX) parts = counted != SIZE_MAX ? counted : count_parts(p, data, len);
  m[0] = p->id;
  m[1] = (int32_t)off;
  m[2] = (int32_t)len;
  m[3] = flags;
  m[4] = (int32_t)out_off;
  m[5] = (int32_t)out_len;
  m[6] = (int32_t)parts;
  m[7] = (int32_t)from;
  pump->entries++;
}

/*
 * The stretch data[off, off + len) of pipe p is in the data buffer: make it an entry, formatting it into out
 * where the mode says so. For PUMP_PREFIX it is whole lines (the caller cut it). May flush (then the stretch
 * is moved to the start of the data buffer first), so the caller must not keep pointers into the buffers.
 */
static void commit(pipe_t *p, size_t off, size_t len, int32_t flags) {
  pump_t *pump = p->pump;
  size_t out_off = pump->out_len, need = 0, parts = 0;
  if (len > 0 && p->mode == PUMP_PREFIX) {
    /* into out as it is; when it does not fit, what came before is flushed and this stretch moves to the
       start of the data buffer, then tried once more with out empty */
    need = prefix_into(p, pump->data + off, len, pump->out + out_off, pump->out_cap - pump->out_len, &parts);
    if (need == 0 && pump->entries > 0) {
      pump->data_len = off;
      flush(pump);
      memmove(pump->data, pump->data + off, len);
      off = 0;
      out_off = 0;
      need = prefix_into(p, pump->data, len, pump->out, pump->out_cap, &parts);
    }
    if (need > 0) {
      pump->out_len += need;
      flags |= PUMP_OUT;
    } else {
      parts = 0;
      flags |= PUMP_FORMAT; /* too big for out even alone: JavaScript writes it */
    }
  }
  pump->data_len = off + len;
  add_entry(p, off, len, flags, out_off, need, parts);
  if (pump->entries == pump->meta_cap || (flags & PUMP_FORMAT)) flush(pump);
}

/* PUMP_PREFIX: keep data[from, to) as the pipe's unterminated line. */
static bool keep_tail(pipe_t *p, const char *from, size_t len) {
  if (len > p->tail_cap) {
    char *t = realloc(p->tail, len);
    if (!t) return false;
    p->tail = t;
    p->tail_cap = len;
  }
  memmove(p->tail, from, len);
  p->tail_len = len;
  return true;
}

/* The pipe is at its end: the unterminated line goes out as it is (with a "\n" when prefixed), fd closed. */
static void end_pipe(pipe_t *p) {
  pump_t *pump = p->pump;
  p->ended = true;
  if (p->polling) uv_poll_stop(&p->poll);
  p->polling = false;
  size_t off = pump->data_len;
  size_t len = 0;
  if (p->mode != PUMP_JS && p->tail_len > 0) {
    if (pump->data_cap - pump->data_len < p->tail_len || pump->entries == pump->meta_cap) {
      flush(pump);
      off = 0;
    }
    memcpy(pump->data + off, p->tail, p->tail_len);
    len = p->tail_len;
    p->tail_len = 0;
  }
  if (p->mode == PUMP_RAW) {
    /* its bytes went out as they were read: the unterminated line is the ring's only */
    pump->data_len = off + len;
    add_entry(p, off, len, PUMP_END, 0, 0, SIZE_MAX);
  } else {
    commit(p, off, len, PUMP_END);
  }
  close(p->fd);
  p->fd = -1;
  if (p->big) big_pipes--;
  p->big = false;
  uv_close((uv_handle_t *)&p->poll, on_poll_closed);
}

/* The pipe filled up between two reads: BIG_PIPE bytes from now on, when the kernel agrees. */
static void grow_pipe(pipe_t *p) {
  int size = fcntl(p->fd, F_SETPIPE_SZ, BIG_PIPE);
  if (size < BIG_PIPE) return;
  p->big = true;
  big_pipes++;
  p->read_size = BIG_PIPE;
}

/*
 * Back to the default size, once a read has emptied the pipe: F_SETPIPE_SZ fails (EBUSY) if the program has
 * written more than that since, and then the pipe stays big (and read whole) until the next try.
 */
static void shrink_pipe(pipe_t *p) {
  int size = fcntl(p->fd, F_SETPIPE_SZ, READ_BYTES);
  if (size < 0) return;
  p->big = false;
  big_pipes--;
  p->read_size = (size_t)size > READ_BYTES ? (size_t)size : READ_BYTES;
}

/*
 * Read the pipe until EAGAIN, its end, or the budget; returns false when it ended. A short read ends the turn
 * (the pipe is empty) unless drain: then only EAGAIN or the end does, so that a program that exited has its
 * end-of-file seen, and its unterminated last line delivered, before its exit is reported.
 */
static bool read_pipe(pipe_t *p, size_t budget, bool drain) {
  pump_t *pump = p->pump;
  size_t got = 0;
  while (!p->ended && got < budget) {
    size_t tail = p->mode != PUMP_JS ? p->tail_len : 0;
    size_t want = p->read_size;
    if (p->mode == PUMP_PREFIX) {
      /* so that the lines of one read fit in out when it is empty: every byte a "\n" is the worst case
         (a read cut mid-line does no harm here: the line's rest waits in the tail) */
      size_t fit = pump->out_cap / (p->prefix_len + 1);
      if (want > fit) want = fit > MIN_READ ? fit : MIN_READ;
    }
    if (pump->data_cap - pump->data_len < tail + want || pump->entries == pump->meta_cap || pump->out_len > OUT_SOFT) flush(pump);
    size_t off = pump->data_len;
    if (tail > 0) memcpy(pump->data + off, p->tail, tail);
    ssize_t n = read(p->fd, pump->data + off + tail, want);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    if (n <= 0) {
      end_pipe(p);
      return false;
    }
    got += (size_t)n;
    if (!p->big && grow_allowed && (size_t)n > p->read_size / 4 * 3 && big_pipes < MAX_BIG_PIPES) grow_pipe(p);
    else if (p->big && !grow_allowed && (size_t)n < want) shrink_pipe(p);
    /* less than asked for: the pipe is empty now (a pipe's read takes what it holds), as libuv assumes too;
       no read just to hear EAGAIN */
    if ((size_t)n < want && !drain) budget = got;
    size_t len = tail + (size_t)n;
    if (p->mode == PUMP_JS) {
      commit(p, off, len, 0);
    } else {
      /* whole lines now; the rest waits, except whole maxLine parts of a line with no "\n" yet */
      const char *base = pump->data + off;
      const char *last = memrchr(base, '\n', len);
      size_t whole = last ? (size_t)(last - base) + 1 : 0;
      size_t rest = len - whole;
      size_t parts = rest - rest % p->max_line;
      whole += parts;
      rest -= parts;
      if (!keep_tail(p, base + whole, rest)) {
        whole += rest; /* no memory for the tail: it goes out as a line of its own */
        p->tail_len = 0;
      }
      if (p->mode == PUMP_RAW) {
        /* out: the bytes as read (written from here); JavaScript: the whole lines, for the ring */
        pump->data_len = off + len;
        add_entry(p, off, whole, PUMP_OUT | PUMP_IN_DATA, off + tail, (size_t)n, SIZE_MAX);
        if (pump->entries == pump->meta_cap) flush(pump);
      } else if (whole > 0) {
        commit(p, off, whole, 0);
      }
    }
    if (p->paused) return true;
  }
  return true;
}

static void on_readable(uv_poll_t *poll, int status, int events) {
  (void)events;
  pipe_t *p = poll->data;
  if (p->ended || p->paused) return;
  if (status < 0) {
    end_pipe(p);
    return;
  }
  read_pipe(p, BUDGET, false);
}

static void on_check(uv_check_t *check) {
  flush(check->data);
}

/* ---- JavaScript interface ---- */

static napi_value fail(napi_env env, const char *msg) {
  napi_throw_type_error(env, NULL, msg);
  return NULL;
}

static napi_value pump_create(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 4) return fail(env, "pumpCreate(data, out, meta, flush)");
  pump_t *pump = calloc(1, sizeof *pump);
  if (!pump) return fail(env, "pumpCreate: out of memory");
  void *data, *out, *meta;
  size_t data_len, out_len, meta_len;
  napi_typedarray_type type;
  napi_value ab;
  size_t ab_off;
  napi_valuetype fn_type;
  if (napi_get_buffer_info(env, argv[0], &data, &data_len) != napi_ok || napi_get_buffer_info(env, argv[1], &out, &out_len) != napi_ok ||
      napi_get_typedarray_info(env, argv[2], &type, &meta_len, &meta, &ab, &ab_off) != napi_ok || type != napi_int32_array ||
      napi_typeof(env, argv[3], &fn_type) != napi_ok || fn_type != napi_function || data_len < 4 * BIG_PIPE || out_len < 4 * BIG_PIPE ||
      meta_len < META_INTS) {
    free(pump);
    return fail(env, "pumpCreate(data: Buffer, out: Buffer, meta: Int32Array, flush: function)");
  }
  uv_loop_t *loop;
  napi_value name;
  napi_create_string_utf8(env, "procinit:pump", NAPI_AUTO_LENGTH, &name);
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || napi_async_init(env, NULL, name, &pump->context) != napi_ok) {
    free(pump);
    return fail(env, "pumpCreate: no event loop");
  }
  pump->env = env;
  pump->data = data;
  pump->out = out;
  pump->meta = meta;
  pump->data_cap = data_len;
  pump->out_cap = out_len;
  pump->meta_cap = meta_len / META_INTS;
  napi_create_reference(env, argv[0], 1, &pump->data_ref);
  napi_create_reference(env, argv[1], 1, &pump->out_ref);
  napi_create_reference(env, argv[2], 1, &pump->meta_ref);
  napi_create_reference(env, argv[3], 1, &pump->flush_fn);
  napi_value resource;
  napi_create_object(env, &resource);
  napi_create_reference(env, resource, 1, &pump->resource);
  uv_check_init(loop, &pump->check);
  pump->check.data = pump;
  uv_check_start(&pump->check, on_check);
  uv_unref((uv_handle_t *)&pump->check);
  napi_value handle;
  napi_create_external(env, pump, NULL, NULL, &handle); /* one per process, never freed */
  the_pump = pump;
  return handle;
}

static void pipe_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  pipe_unref(data);
}

static bool set_prefix(napi_env env, pipe_t *p, napi_value value) {
  napi_valuetype t;
  if (napi_typeof(env, value, &t) != napi_ok) return false;
  if (t == napi_null || t == napi_undefined) return true;
  void *bytes;
  size_t len;
  if (napi_get_buffer_info(env, value, &bytes, &len) != napi_ok) return false;
  char *copy = malloc(len > 0 ? len : 1);
  if (!copy) return false;
  memcpy(copy, bytes, len);
  free(p->prefix);
  p->prefix = copy;
  p->prefix_len = len;
  return true;
}

static pipe_t *get_pipe(napi_env env, napi_value v) {
  void *data = NULL;
  if (napi_get_value_external(env, v, &data) != napi_ok) return NULL;
  return data;
}

static napi_value pump_add(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  void *pump_data = NULL;
  int32_t fd, id, mode;
  uint32_t max_line, keep_lines = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 6 || napi_get_value_external(env, argv[0], &pump_data) != napi_ok ||
      napi_get_value_int32(env, argv[1], &fd) != napi_ok || napi_get_value_int32(env, argv[2], &id) != napi_ok ||
      napi_get_value_int32(env, argv[3], &mode) != napi_ok || napi_get_value_uint32(env, argv[5], &max_line) != napi_ok || fd < 0 ||
      mode < PUMP_JS || mode > PUMP_PREFIX || max_line == 0 || (argc >= 7 && napi_get_value_uint32(env, argv[6], &keep_lines) != napi_ok))
    return fail(env, "pumpAdd(pump, fd, id, mode, prefix, maxLine[, keepLines])");
  pipe_t *p = calloc(1, sizeof *p);
  if (!p) return fail(env, "pumpAdd: out of memory");
  p->pump = pump_data;
  p->fd = fd;
  p->id = id;
  p->mode = mode;
  p->max_line = max_line;
  p->keep_lines = keep_lines;
  p->read_size = READ_BYTES;
  p->refs = 2;
  if (!set_prefix(env, p, argv[4]) || (mode == PUMP_PREFIX && !p->prefix)) {
    free(p->prefix);
    free(p);
    return fail(env, "pumpAdd: prefix must be a Buffer");
  }
  uv_loop_t *loop;
  napi_get_uv_event_loop(env, &loop);
  int rc = uv_poll_init(loop, &p->poll, fd);
  if (rc != 0) {
    free(p->prefix);
    free(p);
    napi_throw_error(env, NULL, uv_strerror(rc));
    return NULL;
  }
  p->poll.data = p;
  rc = uv_poll_start(&p->poll, UV_READABLE, on_readable);
  if (rc != 0) {
    p->refs = 1; /* the fd stays open: the caller reads it another way */
    uv_close((uv_handle_t *)&p->poll, on_poll_closed);
    napi_throw_error(env, NULL, uv_strerror(rc));
    return NULL;
  }
  p->polling = true;
  napi_value handle;
  napi_create_external(env, p, pipe_finalize, NULL, &handle);
  return handle;
}

static pipe_t *one_pipe(napi_env env, napi_callback_info info, napi_value *second) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) return NULL;
  if (second) *second = argc >= 2 ? argv[1] : NULL;
  return get_pipe(env, argv[0]);
}

static napi_value pump_prefix(napi_env env, napi_callback_info info) {
  napi_value prefix;
  pipe_t *p = one_pipe(env, info, &prefix);
  if (!p || !prefix || !set_prefix(env, p, prefix)) return fail(env, "pumpPrefix(pipe, prefix)");
  return NULL;
}

static napi_value pump_pause(napi_env env, napi_callback_info info) {
  pipe_t *p = one_pipe(env, info, NULL);
  if (!p) return fail(env, "pumpPause(pipe)");
  p->paused = true;
  if (p->polling) uv_poll_stop(&p->poll);
  p->polling = false;
  return NULL;
}

static napi_value pump_resume(napi_env env, napi_callback_info info) {
  pipe_t *p = one_pipe(env, info, NULL);
  if (!p) return fail(env, "pumpResume(pipe)");
  p->paused = false;
  if (!p->ended && !p->polling) p->polling = uv_poll_start(&p->poll, UV_READABLE, on_readable) == 0;
  return NULL;
}

static napi_value pump_drain(napi_env env, napi_callback_info info) {
  pipe_t *p = one_pipe(env, info, NULL);
  if (!p) return fail(env, "pumpDrain(pipe)");
  if (p->pump->flushing) return NULL;
  if (!p->ended) {
    bool paused = p->paused;
    p->paused = false; /* a program that exited: what it wrote is read now, paused or not */
    read_pipe(p, SIZE_MAX, true);
    if (!p->ended) p->paused = paused;
  }
  /* and what was read before, this loop iteration, waiting for the check phase */
  flush(p->pump);
  return NULL;
}

/*
 * pumpWrite(fd, first, end) -> bytes written, or minus errno, or -1 when fd could block the event loop
 * (neither a regular file nor non-blocking): the caller queues the bytes instead. Writes the out bytes of
 * entries [first, end) of the last flush (in out, or in the data buffer for PUMP_IN_DATA) with writev,
 * adjacent stretches as one; stops at EAGAIN. Only during a flush: the buffers are the flush's.
 */
static napi_value pump_write(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3], result;
  int32_t fd;
  uint32_t first, end;
  pump_t *pump = the_pump;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 3 || napi_get_value_int32(env, argv[0], &fd) != napi_ok ||
      napi_get_value_uint32(env, argv[1], &first) != napi_ok || napi_get_value_uint32(env, argv[2], &end) != napi_ok || !pump ||
      !pump->flushing || first > end || end > pump->entries)
    return fail(env, "pumpWrite(fd, first, end): during a flush");
  double done = 0;
  struct stat st;
  int flags = fcntl(fd, F_GETFL);
  if (fstat(fd, &st) != 0 || flags < 0) done = -errno;
  else if (!S_ISREG(st.st_mode) && !(flags & O_NONBLOCK)) done = -1;
  struct iovec iov[64];
  uint32_t at = first; /* the next entry to gather */
  size_t skip = 0;     /* bytes of entry `at` already written */
  while (done >= 0 && at < end) {
    int n_iov = 0;
    size_t total = 0;
    for (uint32_t i = at; i < end && n_iov < 64; i++) {
      const int32_t *m = pump->meta + (size_t)i * META_INTS;
      if (!(m[3] & PUMP_OUT) || m[5] <= 0) continue;
      char *base = ((m[3] & PUMP_IN_DATA) ? pump->data : pump->out) + m[4];
      size_t len = (size_t)m[5];
      if (i == at) {
        base += skip;
        len -= skip;
      }
      if (n_iov > 0 && (char *)iov[n_iov - 1].iov_base + iov[n_iov - 1].iov_len == base) iov[n_iov - 1].iov_len += len;
      else iov[n_iov++] = (struct iovec){base, len};
      total += len;
    }
    if (total == 0) break;
    ssize_t n = writev(fd, iov, n_iov);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    if (n <= 0) {
      if (done == 0) done = n < 0 ? -errno : -EIO;
      break;
    }
    done += (double)n;
    /* move past what was written */
    size_t left = (size_t)n;
    while (at < end && left > 0) {
      const int32_t *m = pump->meta + (size_t)at * META_INTS;
      size_t len = (m[3] & PUMP_OUT) && m[5] > 0 ? (size_t)m[5] - skip : 0;
      if (left >= len) {
        left -= len;
        at++;
        skip = 0;
      } else {
        skip += left;
        left = 0;
      }
    }
    while (at < end && !((pump->meta[(size_t)at * META_INTS + 3] & PUMP_OUT) && pump->meta[(size_t)at * META_INTS + 5] > 0)) at++;
  }
  napi_create_double(env, done, &result);
  return result;
}

static napi_value pump_grow(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value arg;
  bool allowed = true;
  if (napi_get_cb_info(env, info, &argc, &arg, NULL, NULL) != napi_ok || argc < 1 || napi_get_value_bool(env, arg, &allowed) != napi_ok)
    return fail(env, "pumpGrow(allowed)");
  grow_allowed = allowed;
  return NULL;
}

/* The whole pages inside [p, p + len): their memory is given back, and reads as zeros when next touched. */
static size_t release_pages(char *p, size_t len) {
  long page = sysconf(_SC_PAGESIZE);
  if (page <= 0) return 0;
  uintptr_t from = ((uintptr_t)p + (uintptr_t)page - 1) & ~((uintptr_t)page - 1);
  uintptr_t to = ((uintptr_t)p + len) & ~((uintptr_t)page - 1);
  if (to <= from || madvise((void *)from, to - from, MADV_DONTNEED) != 0) return 0;
  return to - from;
}

/*
 * pumpRelease(pump) -> bytes given back. The data and out buffers hold nothing between flushes, but once a
 * flood has filled them their pages stay resident for good (up to 5 MiB): the memory watch calls this when
 * it trims (src/memory/watch.ts). Never during a flush.
 */
static napi_value pump_release(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value arg, result;
  void *data = NULL;
  if (napi_get_cb_info(env, info, &argc, &arg, NULL, NULL) != napi_ok || argc < 1 || napi_get_value_external(env, arg, &data) != napi_ok || !data)
    return fail(env, "pumpRelease(pump)");
  pump_t *pump = data;
  double released = 0;
  if (!pump->flushing && pump->entries == 0 && pump->data_len == 0 && pump->out_len == 0)
    released = (double)(release_pages(pump->data, pump->data_cap) + release_pages(pump->out, pump->out_cap));
  napi_create_double(env, released, &result);
  return result;
}

void pump_define(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"pumpCreate", NULL, pump_create, NULL, NULL, NULL, napi_default, NULL},
      {"pumpAdd", NULL, pump_add, NULL, NULL, NULL, napi_default, NULL},
      {"pumpPrefix", NULL, pump_prefix, NULL, NULL, NULL, napi_default, NULL},
      {"pumpPause", NULL, pump_pause, NULL, NULL, NULL, napi_default, NULL},
      {"pumpResume", NULL, pump_resume, NULL, NULL, NULL, napi_default, NULL},
      {"pumpDrain", NULL, pump_drain, NULL, NULL, NULL, napi_default, NULL},
      {"pumpWrite", NULL, pump_write, NULL, NULL, NULL, napi_default, NULL},
      {"pumpRelease", NULL, pump_release, NULL, NULL, NULL, napi_default, NULL},
      {"pumpGrow", NULL, pump_grow, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
