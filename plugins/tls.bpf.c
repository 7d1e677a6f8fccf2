// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * tls.bpf.c - the TLS ClientHello of a connection: server name (SNI), ALPN,
 * offered versions and a JA4 fingerprint, TLS 1.2 and 1.3, IPv4 and IPv6.
 *
 * The ClientHello (RFC 8446 4.1.2; RFC 5246 7.4.1.2 for TLS 1.2) is the
 * first handshake message of the client, in a TLS record of type 22
 * (RFC 8446 5.1). Its extensions: server_name (RFC 6066 3), ALPN (RFC 7301
 * 3.1), supported_versions (RFC 8446 4.2.1), signature_algorithms (RFC 8446
 * 4.2.3). GREASE values (RFC 8701) are left out everywhere.
 *
 * The record must be whole in the packet (a GSO/GRO aggregate counts as one
 * packet here): a ClientHello whose record goes on in a later segment is
 * not parsed; its record says so (TLS_CLIENT_HELLO_SPLIT) and it is counted
 * in "unparsed". At most 2 KiB of it are read.
 *
 * JA4 (FoxIO's JA4 TLS client fingerprint, as its specification describes
 * it): "t", the highest offered version ("13", "12", ...), "d" with SNI or
 * "i" without, the numbers of cipher suites and extensions (two digits,
 * at most 99), the first and last characters of the first ALPN value ("00"
 * without); "_"; the first 12 hex digits of the SHA-256 of the sorted cipher
 * suites ("002f,0035,..."); "_"; the same of the sorted extensions without
 * SNI and ALPN, "_", and the signature algorithms in their order. SHA-256
 * (FIPS 180-4) is computed here, for ClientHellos only.
 */
#include <linux/bpf.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include "flowmon/plugin.h"

#define TLS_HANDSHAKE		22	/* record content type (RFC 8446 5.1) */
#define TLS_CLIENT_HELLO	1	/* handshake type (RFC 8446 4) */
#define EXT_SNI			0
#define EXT_SIG_ALGS		13
#define EXT_ALPN		16
#define EXT_VERSIONS		43

#define TLS_READ	2048	/* bytes of a ClientHello record read */
#define TLS_MASK	(TLS_READ - 1)
#define MAX_CS		128	/* cipher suites */
#define MAX_EXT		128	/* extensions (one size for every list: one mask) */
#define MAX_SIG		64	/* signature algorithms */
#define TXT		2048	/* text to hash, with SHA-256 padding */
#define TXT_MASK	(TXT - 1)

struct tls_result {
	char sni[256] FM_JSON("TLS_SERVER_NAME") FM_IPFIX(32473, 2201)
		FM_DOC("server name of the ClientHello (SNI, RFC 6066 3)");
	char alpn[64] FM_JSON("TLS_ALPN") FM_IPFIX(32473, 2202)
		FM_DOC("ALPN protocols offered, comma-separated (RFC 7301)");
	char versions[48] FM_JSON("TLS_SUPPORTED_VERSIONS") FM_IPFIX(32473, 2203)
		FM_DOC("versions offered: supported_versions (RFC 8446 4.2.1), else the "
		       "legacy version, e.g. 1.3,1.2");
	char ja4[40] FM_JSON("TLS_JA4") FM_IPFIX(32473, 2204)
		FM_DOC("JA4 fingerprint of the ClientHello");
	__u16 version FM_JSON("TLS_VERSION") FM_IPFIX(32473, 2205)
		FM_DOC("highest version offered: 772 (0x0304) TLS 1.3, 771 TLS 1.2")
		FM_WHEN("hellos");
	__u16 hellos FM_JSON("TLS_CLIENT_HELLOS") FM_IPFIX(32473, 2206)
		FM_DOC("ClientHellos parsed in the record");
	__u8 split FM_JSON("TLS_CLIENT_HELLO_SPLIT") FM_IPFIX(32473, 2207)
		FM_DOC("1: a ClientHello went on in another segment and was not parsed");
	__u8 pad[3];
} FM_PLUGIN("tls", "TLS ClientHello: SNI, ALPN, offered versions, JA4") FM_PROTOS("6");

FM_RESULTS(struct tls_result, 65536);

const struct tls_result zero_result = {};

/*
 * Everything the parser keeps, per CPU. The loops run as bpf_loop()
 * callbacks; their running state lives here, not on the stack, so that the
 * verifier sees one state at every callback entry and checks each once.
 */
struct tls_scratch {
	__u8 b[TLS_READ];	/* the record, from its header on */
	__u8 txt[TXT];		/* what is hashed */
	__u32 w[64];		/* SHA-256 message schedule */
	__u32 h[8];		/* SHA-256 state */
	__u16 cs[MAX_CS];	/* cipher suites, in order */
	__u16 ext[MAX_EXT];	/* extension types, in order */
	__u16 sorted[MAX_CS];
	char digest[2][12];	/* JA4's hashes, b and c */
	__u32 len;		/* bytes of b that belong to the record */
	__u32 ncs, next;	/* cipher suites, extensions */
	__u32 nc, ne;		/* ... without GREASE */
	__u32 sni_off, sni_len, alpn_off, alpn_len, sv_off, sv_len, sig_off, sig_len;
	__u16 legacy, maxver;
	__u8 has_sni, has_alpn, has_sv, has_sig;
	/* loop state */
	__u32 off, end, bad;	/* a list being walked */
	__u32 kept, from_ext;	/* keep_one */
	__u32 pos, n;		/* text being written, items in it */
	__u32 pad_from;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tls_scratch);
} tls_scratch SEC(".maps");

/* FIPS 180-4 4.2.2: the first 32 bits of the fractional parts of the cube roots of the first 64 primes. */
const volatile __u32 sha_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
	0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
	0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
	0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
	0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
	0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
	0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
	0xc67178f2,
};

/* FIPS 180-4 5.3.3: the first 32 bits of the fractional parts of the square roots of the first 8 primes. */
const volatile __u32 sha_h0[8] = {
	0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
	0x5be0cd19,
};

const volatile char hexd[16] = "0123456789abcdef";

static __always_inline __u16 rd16(const struct tls_scratch *s, __u32 off)
{
	return (__u16)s->b[off & TLS_MASK] << 8 | s->b[(off + 1) & TLS_MASK];
}

/* RFC 8701: 0x0a0a, 0x1a1a, ..., 0xfafa */
static __always_inline int grease(__u16 v)
{
	return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

/*
 * Value i of a list of 16-bit values from s->off to s->end (versions,
 * signature algorithms): -1 past its end, 0 a GREASE value (left out of
 * every list JA4 and the record keep), 1 a value in *v.
 */
static __always_inline int list16(const struct tls_scratch *s, __u32 i, __u16 *v)
{
	__u32 off = s->off + 2 * i;

	if (off + 2 > s->end)
		return -1;
	*v = rd16(s, off);
	return !grease(*v);
}

/* ---- SHA-256 (FIPS 180-4 6.2) over s->txt ----------------------------------- */

static __always_inline __u32 ror(__u32 x, int n)
{
	return (x >> n) | (x << (32 - n));
}

/* What every callback gets: the scratch (and the result being written). */
struct loop_ctx {
	struct tls_scratch *s;
	struct tls_result *r;
};

static long sha_block(__u32 blk, struct loop_ctx *x)
{
	struct tls_scratch *s = x->s;
	__u32 a, b, c, d, e, f, g, h, t1, t2, i, o = (blk & 31) * 64;

	for (i = 0; i < 16; i++) {
		__u32 p = o + 4 * i;

		s->w[i] = (__u32)s->txt[p & TXT_MASK] << 24 | (__u32)s->txt[(p + 1) & TXT_MASK] << 16 |
			  (__u32)s->txt[(p + 2) & TXT_MASK] << 8 | s->txt[(p + 3) & TXT_MASK];
	}
	for (i = 16; i < 64; i++)
		s->w[i] = (ror(s->w[i - 2], 17) ^ ror(s->w[i - 2], 19) ^ (s->w[i - 2] >> 10)) +
			  s->w[i - 7] +
			  (ror(s->w[i - 15], 7) ^ ror(s->w[i - 15], 18) ^ (s->w[i - 15] >> 3)) +
			  s->w[i - 16];
	a = s->h[0], b = s->h[1], c = s->h[2], d = s->h[3];
	e = s->h[4], f = s->h[5], g = s->h[6], h = s->h[7];
	for (i = 0; i < 64; i++) {
		t1 = h + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) + sha_k[i] +
		     s->w[i];
		t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
		h = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
	}
	s->h[0] += a, s->h[1] += b, s->h[2] += c, s->h[3] += d;
	s->h[4] += e, s->h[5] += f, s->h[6] += g, s->h[7] += h;
	return 0;
}

static long pad_zero(__u32 i, struct loop_ctx *x)
{
	x->s->txt[(x->s->pad_from + i) & TXT_MASK] = 0;
	return 0;
}

/*
 * SHA-256 of the first len bytes of s->txt (FIPS 180-4 5.1.1 padding, in
 * place), its first 48 bits as 12 hex digits into out.
 */
static __always_inline void sha256_12(struct tls_scratch *s, __u32 len, char *out)
{
	struct loop_ctx x = { .s = s };
	__u32 total = (len + 9 + 63) & ~63U, i;
	__u64 bits = (__u64)len * 8;

	s->txt[len & TXT_MASK] = 0x80;
	s->pad_from = len + 1;
	bpf_loop(total - 8 - (len + 1), pad_zero, &x, 0);
	for (i = 0; i < 8; i++)
		s->txt[(total - 8 + i) & TXT_MASK] = (__u8)(bits >> (56 - 8 * i));
	for (i = 0; i < 8; i++)
		s->h[i] = sha_h0[i];
	bpf_loop(total / 64, sha_block, &x, 0);
	for (i = 0; i < 12; i++) {
		__u32 word = s->h[i / 8];

		out[i] = hexd[(word >> (28 - 4 * (i % 8))) & 0xf];
	}
}

/* ---- the ClientHello ------------------------------------------------------------ */

static long read_cs(__u32 i, struct loop_ctx *x)
{
	struct tls_scratch *s = x->s;
	__u16 v = rd16(s, s->off + 2 * i);

	s->cs[i & (MAX_CS - 1)] = v;
	s->nc += !grease(v);
	return 0;
}

static long read_ext(__u32 i, struct loop_ctx *x)
{
	struct tls_scratch *s = x->s;
	__u32 off = s->off, len;
	__u16 type;

	if (off >= s->end)
		return 1;
	if (off + 4 > s->end) {
		s->bad = 1;
		return 1;
	}
	type = rd16(s, off);
	len = rd16(s, off + 2);
	if (off + 4 + len > s->end) {
		s->bad = 1;
		return 1;
	}
	s->ext[i & (MAX_EXT - 1)] = type;
	s->next = i + 1;
	s->ne += !grease(type);
	if (type == EXT_SNI) {
		s->has_sni = 1;
		s->sni_off = off + 4;
		s->sni_len = len;
	} else if (type == EXT_ALPN) {
		s->has_alpn = 1;
		s->alpn_off = off + 4;
		s->alpn_len = len;
	} else if (type == EXT_VERSIONS) {
		s->has_sv = 1;
		s->sv_off = off + 4;
		s->sv_len = len;
	} else if (type == EXT_SIG_ALGS) {
		s->has_sig = 1;
		s->sig_off = off + 4;
		s->sig_len = len;
	}
	s->off = off + 4 + len;
	return 0;
}

/* Up to the extensions: legacy_version, random, session id, cipher suites, compression. */
static __always_inline int parse_hello(struct tls_scratch *s)
{
	struct loop_ctx x = { .s = s };
	__u32 off = 9 + 2 + 32, cl;

	s->legacy = rd16(s, 9);
	off += 1 + s->b[off & TLS_MASK];		/* legacy_session_id */
	if (off + 2 > s->len)
		return -1;
	cl = rd16(s, off);
	off += 2;
	if ((cl & 1) || off + cl > s->len || cl / 2 > MAX_CS)
		return -1;
	s->ncs = cl / 2;
	s->off = off;
	bpf_loop(s->ncs, read_cs, &x, 0);
	off += cl;
	if (off + 1 > s->len)
		return -1;
	off += 1 + s->b[off & TLS_MASK];		/* legacy_compression_methods */
	if (off + 2 > s->len)
		return off == s->len ? 0 : -1;		/* no extensions */
	s->end = off + 2 + rd16(s, off);
	s->off = off + 2;
	s->bad = 0;
	if (s->end > s->len)
		return -1;
	bpf_loop(MAX_EXT, read_ext, &x, 0);
	return s->bad || s->off < s->end ? -1 : 0;
}

/* Highest non-GREASE version of supported_versions (a length octet, then 16-bit versions). */
static long read_version(__u32 i, struct loop_ctx *x)
{
	struct tls_scratch *s = x->s;
	__u16 v;
	int r = list16(s, i, &v);

	if (r > 0 && v > s->maxver)
		s->maxver = v;
	return r < 0;
}

/* ---- text: JA4's parts, the lists of the record ----------------------------- */

/*
 * Rank sort of the s->n values of s->cs into s->sorted: each value goes to
 * the number of values smaller than it (ties: by position, so ranks are
 * unique). Branch-free on purpose: each comparison adds its sign bit, so
 * the verifier follows one path through the loop.
 */
static long rank_one(__u32 i, struct loop_ctx *x)
{
	struct tls_scratch *s = x->s;
	__u16 v = s->cs[i & (MAX_CS - 1)];
	__s64 key = (__s64)v << 8 | (i & 0xff);
	__u32 j, rank = 0, n = s->n;

	for (j = 0; j < MAX_CS; j++) {
		__s64 d;

		if (j >= n)
			break;
		d = ((__s64)s->cs[j & (MAX_CS - 1)] << 8 | j) - key;
		/* the sign bit, computed: the compiler would branch on a comparison */
		asm volatile("%0 >>= 63" : "+r"(d));
		rank += d;
	}
	s->sorted[rank & (MAX_CS - 1)] = v;
	return 0;
}

/* The values JA4 keeps (no GREASE; extensions: not SNI, not ALPN): cs -> sorted, or ext -> cs. */
static long keep_one(__u32 i, struct loop_ctx *x)
{
	struct tls_scratch *s = x->s;
	__u16 v;

	if (s->from_ext) {
		v = s->ext[i & (MAX_EXT - 1)];
		if (grease(v) || v == EXT_SNI || v == EXT_ALPN)
			return 0;
		s->cs[s->kept & (MAX_CS - 1)] = v;
	} else {
		v = s->cs[i & (MAX_CS - 1)];
		if (grease(v))
			return 0;
		s->sorted[s->kept & (MAX_CS - 1)] = v;
	}
	s->kept++;
	return 0;
}

static __always_inline void put_hex4(struct tls_scratch *s, __u16 v)
{
	__u32 p = s->pos;

	if (s->n++)
		s->txt[p++ & TXT_MASK] = ',';
	s->txt[p++ & TXT_MASK] = hexd[(v >> 12) & 0xf];
	s->txt[p++ & TXT_MASK] = hexd[(v >> 8) & 0xf];
	s->txt[p++ & TXT_MASK] = hexd[(v >> 4) & 0xf];
	s->txt[p++ & TXT_MASK] = hexd[v & 0xf];
	s->pos = p;
}

/* "002f,0035,...": s->sorted, comma-separated 4-digit hex, into txt at s->pos. */
static long hex_one(__u32 i, struct loop_ctx *x)
{
	put_hex4(x->s, x->s->sorted[i & (MAX_CS - 1)]);
	return 0;
}

/* Signature algorithms in their order, GREASE left out: 16-bit values from s->off to s->end. */
static long sig_one(__u32 i, struct loop_ctx *x)
{
	__u16 v;
	int r = list16(x->s, i, &v);

	if (r > 0)
		put_hex4(x->s, v);
	return r < 0;
}

static __always_inline void two_digits(char *o, __u32 n)
{
	n = n > 99 ? 99 : n;
	o[0] = '0' + n / 10;
	o[1] = '0' + n % 10;
}

static __always_inline void version_code(char *o, __u16 v)
{
	switch (v) {
	case 0x0304: o[0] = '1', o[1] = '3'; break;
	case 0x0303: o[0] = '1', o[1] = '2'; break;
	case 0x0302: o[0] = '1', o[1] = '1'; break;
	case 0x0301: o[0] = '1', o[1] = '0'; break;
	case 0x0300: o[0] = 's', o[1] = '3'; break;
	case 0x0200: o[0] = 's', o[1] = '2'; break;
	case 0xfeff: o[0] = 'd', o[1] = '1'; break;
	case 0xfefd: o[0] = 'd', o[1] = '2'; break;
	case 0xfefc: o[0] = 'd', o[1] = '3'; break;
	default: o[0] = '0', o[1] = '0'; break;
	}
}

static __always_inline int alnum(__u8 c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* JA4's ALPN characters: the first ALPN value's first and last characters, or hex digits. */
static __always_inline void alpn_code(const struct tls_scratch *s, char *o)
{
	__u32 off = s->alpn_off + 2, n;
	__u8 first, last;

	o[0] = '0', o[1] = '0';
	if (!s->has_alpn || s->alpn_len < 3)
		return;
	n = s->b[off & TLS_MASK];
	if (!n || off + 1 + n > s->alpn_off + s->alpn_len)
		return;
	first = s->b[(off + 1) & TLS_MASK];
	last = s->b[(off + n) & TLS_MASK];
	if (alnum(first) && alnum(last)) {
		o[0] = first, o[1] = last;
	} else {
		o[0] = hexd[first >> 4], o[1] = hexd[last & 0xf];
	}
}

/*
 * JA4's two hashes into s->digest (b: the cipher suites, c: the extensions
 * and signature algorithms). Global: the verifier checks its loops once,
 * whatever the caller's state.
 */
__noinline int ja4_digests(struct tls_scratch *s)
{
	struct loop_ctx x = { .s = s };
	__u32 kept;

	if (!s)
		return 0;
	/* b: the cipher suites, sorted */
	s->kept = 0;
	s->from_ext = 0;
	bpf_loop(s->ncs & (MAX_CS - 1), keep_one, &x, 0);
	__builtin_memcpy(s->cs, s->sorted, sizeof(s->cs));	/* the kept ones, to sort */
	kept = s->n = s->kept;
	bpf_loop(kept, rank_one, &x, 0);
	s->pos = 0;
	s->n = 0;
	bpf_loop(kept, hex_one, &x, 0);
	if (kept)
		sha256_12(s, s->pos, s->digest[0]);
	else
		__builtin_memset(s->digest[0], '0', 12);
	/* c: the extensions without SNI and ALPN, sorted; "_" and the signature algorithms */
	s->kept = 0;
	s->from_ext = 1;
	bpf_loop(s->next & (MAX_EXT - 1), keep_one, &x, 0);
	kept = s->n = s->kept;
	bpf_loop(kept, rank_one, &x, 0);
	s->pos = 0;
	s->n = 0;
	bpf_loop(kept, hex_one, &x, 0);
	if (s->has_sig && s->sig_len >= 2) {
		s->txt[s->pos & TXT_MASK] = '_';
		s->pos++;
		s->n = 0;
		s->off = s->sig_off + 2;
		s->end = s->sig_off + 2 + rd16(s, s->sig_off);
		if (s->end > s->sig_off + s->sig_len)
			s->end = s->sig_off + s->sig_len;
		bpf_loop(MAX_SIG, sig_one, &x, 0);
		kept += s->n;
	}
	if (kept)
		sha256_12(s, s->pos, s->digest[1]);
	else
		__builtin_memset(s->digest[1], '0', 12);
	return 1;
}

/* The whole JA4 into r->ja4: its first part here, the hashes from ja4_digests(). */
static __always_inline void ja4(struct tls_scratch *s, struct tls_result *r)
{
	char *o = r->ja4;

	if (!ja4_digests(s))
		return;
	o[0] = 't';
	version_code(o + 1, s->has_sv && s->maxver ? s->maxver : s->legacy);
	o[3] = s->has_sni ? 'd' : 'i';
	two_digits(o + 4, s->nc);
	two_digits(o + 6, s->ne);
	alpn_code(s, o + 8);
	o[10] = '_';
	__builtin_memcpy(o + 11, s->digest[0], 12);
	o[23] = '_';
	__builtin_memcpy(o + 24, s->digest[1], 12);
	o[36] = '\0';
}

/* ALPN list (a 2-byte length, then length-prefixed names) as "h2,http/1.1" into r->alpn. */
static long alpn_char(__u32 i, struct loop_ctx *x)
{
	struct tls_scratch *s = x->s;
	__u32 off = s->alpn_off + 2 + i;

	if (off >= s->end || i >= sizeof(x->r->alpn) - 1)
		return 1;
	if (off == s->off) {
		s->off = off + 1 + s->b[off & TLS_MASK];
		if (i)
			x->r->alpn[(i - 1) & 63] = ',';
		return 0;
	}
	if (i)
		x->r->alpn[(i - 1) & 63] = s->b[off & TLS_MASK];
	return 0;
}

/* One version as text: "1.3" (TLS 1.0-1.3), else "0x7f1c". */
static __always_inline void put_version(struct tls_scratch *s, struct tls_result *r, __u16 v)
{
	char *o = r->versions;
	__u32 p = s->pos;

	if (p + 7 >= sizeof(r->versions))
		return;
	if (p)
		o[p++ & 63] = ',';
	if (v >= 0x0301 && v <= 0x0304) {
		o[p++ & 63] = '1';
		o[p++ & 63] = '.';
		o[p++ & 63] = '0' + (v & 0xff) - 1;
	} else {
		o[p++ & 63] = '0';
		o[p++ & 63] = 'x';
		o[p++ & 63] = hexd[(v >> 12) & 0xf];
		o[p++ & 63] = hexd[(v >> 8) & 0xf];
		o[p++ & 63] = hexd[(v >> 4) & 0xf];
		o[p++ & 63] = hexd[v & 0xf];
	}
	s->pos = p;
}

/* supported_versions (16-bit values from s->off to s->end), GREASE left out. */
static long ver_one(__u32 i, struct loop_ctx *x)
{
	__u16 v;
	int r = list16(x->s, i, &v);

	if (r > 0)
		put_version(x->s, x->r, v);
	return r < 0;
}

/* Server name: server_name_list (2), name_type 0 (1), length (2), the name (RFC 6066 3). */
static __always_inline void copy_sni(const struct fm_plugin_ctx *c, const struct fm_pkt_ref *p,
				     struct tls_scratch *s, struct tls_result *r)
{
	__u32 off = s->sni_off, n;

	if (!s->has_sni || s->sni_len < 5 || s->b[(off + 2) & TLS_MASK] != 0)
		return;
	n = rd16(s, off + 3);
	if (off + 5 + n > s->sni_off + s->sni_len)
		return;
	if (n > sizeof(r->sni) - 1) {
		n = sizeof(r->sni) - 1;
		fm_count(FM_PC_TRUNCATED, 1);
	}
	n = fm_bound(n, sizeof(r->sni) - 1);
	if (n && !fm_load(p, c->payload_off + off + 5, r->sni, n))
		r->sni[n & 0xff] = '\0';
}

static __always_inline void record_hello(const struct fm_plugin_ctx *c,
					 const struct fm_pkt_ref *p, struct tls_scratch *s,
					 struct tls_result *r)
{
	struct loop_ctx x = { .s = s, .r = r };
	__u32 vend = 0;

	if (s->has_sv && s->sv_len >= 1) {
		vend = s->sv_off + 1 + s->b[s->sv_off & TLS_MASK];
		if (vend > s->sv_off + s->sv_len)
			vend = s->sv_off + s->sv_len;
		s->off = s->sv_off + 1;
		s->end = vend;
		bpf_loop(MAX_CS, read_version, &x, 0);
	}
	r->version = s->has_sv && s->maxver ? s->maxver : s->legacy;
	copy_sni(c, p, s, r);
	if (s->has_alpn && s->alpn_len > 2) {
		s->off = s->alpn_off + 2;
		s->end = s->alpn_off + s->alpn_len;
		bpf_loop(sizeof(r->alpn), alpn_char, &x, 0);
	}
	s->pos = 0;
	if (s->has_sv) {
		s->off = s->sv_off + 1;
		s->end = vend;
		bpf_loop(MAX_CS, ver_one, &x, 0);
	} else {
		put_version(s, r, s->legacy);
	}
	ja4(s, r);
}

static __always_inline void scratch_reset(struct tls_scratch *s)
{
	s->nc = s->ne = s->next = s->ncs = 0;
	s->has_sni = s->has_alpn = s->has_sv = s->has_sig = 0;
	s->maxver = 0;
}

static __always_inline void tls(struct fm_plugin_ctx *c, const struct fm_pkt_ref *p)
{
	struct tls_scratch *s;
	struct tls_result *r;
	__u32 zero = 0, n, rlen;
	__u8 hdr[6];

	if (c->key.proto != IPPROTO_TCP || !c->l4_off || c->payload_len < 9 + 38)
		return;
	/* a handshake record (5.1) holding a ClientHello (4), TLS 1.x record version */
	if (fm_load(p, c->payload_off, hdr, sizeof(hdr)) || hdr[0] != TLS_HANDSHAKE ||
	    hdr[1] != 3 || hdr[5] != TLS_CLIENT_HELLO)
		return;
	r = fm_result(c, &zero_result);
	s = bpf_map_lookup_elem(&tls_scratch, &zero);
	if (!r || !s)
		return;
	rlen = (__u32)hdr[3] << 8 | hdr[4];
	if (5 + rlen > c->payload_len) {
		r->split = 1;		/* the record goes on in another segment */
		goto unparsed;
	}
	n = fm_bound(5 + rlen > TLS_READ ? TLS_READ : 5 + rlen, TLS_READ);
	if (!n || fm_load(p, c->payload_off, s->b, n))
		goto unparsed;
	s->len = n;
	/* the handshake message must fit: 9 bytes of headers and its 24-bit length */
	if (9 + ((__u32)s->b[6] << 16 | (__u32)s->b[7] << 8 | s->b[8]) > n)
		goto unparsed;
	scratch_reset(s);
	if (parse_hello(s))
		goto unparsed;
	if (!r->hellos++)
		record_hello(c, p, s, r);
	fm_count(FM_PC_PARSED, 1);
	return;
unparsed:
	fm_count(FM_PC_UNPARSED, 1);
}

FLOWMON_PLUGIN(tls);
