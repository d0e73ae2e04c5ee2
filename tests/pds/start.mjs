// The reference Bluesky PDS (@atproto/pds) with an in-memory PLC directory
// (@did-plc/server), for postwright's integration tests
// (tests/integration/pds.rs). Both listen on 127.0.0.1 only.
//
//   node start.mjs [--pds-port N] [--plc-port N]
//
// Ports come from the arguments or PDS_PORT / PLC_PORT; 0 or unset picks free
// ones. PDS_BLOB_UPLOAD_LIMIT (bytes) and PDS_RATE_LIMITS_ENABLED pass
// through. Prints one line of JSON on stdout once the PDS answers its health
// check: {"pds":"http://localhost:P","plc":"http://localhost:Q","did":…,
// "adminPassword":…,"jwtSecret":…,"dataDir":…,"startMs":…,"pid":…}, then
// nothing more on stdout (logs, with LOG_ENABLED=true, go to stderr).
// Exits when its stdin closes, so a test that dies, even by SIGKILL, leaves
// no server behind. Needs Node >= 22.

import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import http from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'

const started = Date.now()
// The PDS's logs (LOG_ENABLED=true) would go to stdout, where the one line
// the tests wait for is: they go to stderr unless told otherwise.
process.env.LOG_DESTINATION ??= '/dev/stderr'
const { values: args } = parseArgs({
  options: {
    'pds-port': { type: 'string' },
    'plc-port': { type: 'string' },
  },
})

const major = Number(process.versions.node.split('.')[0])
if (major < 22) {
  console.error(`start.mjs: @atproto/pds needs Node >= 22, this is ${process.version}`)
  process.exit(2)
}

// Express's app.listen(port) binds every interface: the servers are made
// here and bound to 127.0.0.1 before anything is attached to them, which also
// tells the PDS its port before its config is built.
async function listen(port) {
  const server = http.createServer()
  server.listen(Number(port ?? 0), '127.0.0.1')
  await once(server, 'listening')
  return server
}

const dataDir = mkdtempSync(join(tmpdir(), 'postwright-pds-'))
let stopping = false
function stop(code) {
  if (stopping) return
  stopping = true
  try {
    rmSync(dataDir, { recursive: true, force: true })
  } finally {
    process.exit(code)
  }
}
process.stdin.on('end', () => stop(0))
process.stdin.on('close', () => stop(0))
process.stdin.on('error', () => stop(0))
process.stdin.resume()
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => stop(0))

try {
  const plcServer = await listen(args['plc-port'] ?? process.env.PLC_PORT)
  const plcPort = plcServer.address().port
  const { PlcServer, Database: PlcDatabase } = await import('@did-plc/server')
  const plc = PlcServer.create({ db: PlcDatabase.mock(), port: plcPort })
  plcServer.on('request', plc.app)

  const pdsServer = await listen(args['pds-port'] ?? process.env.PDS_PORT)
  const pdsPort = pdsServer.address().port
  const adminPassword = randomBytes(16).toString('hex')
  // Handed to the tests so they can sign an access token that has expired
  // (the PDS's own last two hours): a throwaway test server's secret.
  const jwtSecret = randomBytes(32).toString('hex')
  const env = {
    PDS_PORT: String(pdsPort),
    PDS_HOSTNAME: 'localhost',
    // Without dev mode the PDS refuses to start on http ("Resource URL must
    // use the https scheme").
    PDS_DEV_MODE: 'true',
    // localhost as the PDS's own docs have it (with dev mode on, 127.0.0.1
    // was seen to work too).
    PDS_DID_PLC_URL: `http://localhost:${plcPort}`,
    PDS_INVITE_REQUIRED: 'false',
    PDS_SERVICE_HANDLE_DOMAINS: '.test',
    PDS_DATA_DIRECTORY: dataDir,
    PDS_BLOBSTORE_DISK_LOCATION: join(dataDir, 'blobs'),
    PDS_JWT_SECRET: jwtSecret,
    PDS_ADMIN_PASSWORD: adminPassword,
    PDS_PLC_ROTATION_KEY_K256_PRIVATE_KEY_HEX: randomBytes(32).toString('hex'),
    PDS_CRAWLERS: '',
  }
  for (const [key, value] of Object.entries(env)) process.env[key] = value
  const { PDS, envToCfg, envToSecrets, readEnv } = await import('@atproto/pds')
  const pdsEnv = readEnv()
  const pds = await PDS.create(envToCfg(pdsEnv), envToSecrets(pdsEnv))
  await pds.ctx.sequencer.start()
  pdsServer.keepAliveTimeout = 90_000
  pdsServer.on('request', pds.app)
  pds.server = pdsServer

  const pdsUrl = `http://localhost:${pdsPort}`
  const health = await fetch(`http://127.0.0.1:${pdsPort}/xrpc/_health`)
  if (!health.ok) throw new Error(`health check answered ${health.status}`)
  process.stdout.write(
    JSON.stringify({
      pds: pdsUrl,
      plc: `http://localhost:${plcPort}`,
      did: pds.ctx.cfg.service.did,
      adminPassword,
      jwtSecret,
      dataDir,
      startMs: Date.now() - started,
      pid: process.pid,
    }) + '\n',
  )
} catch (err) {
  console.error('start.mjs: the PDS did not start:', err)
  stop(1)
}
