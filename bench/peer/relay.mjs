// The peer Confab's realtime benchmark is compared with: a minimal in-memory chat relay on Node and `ws`.
//
// It speaks the smallest useful subset of Confab's WebSocket frames, so that confab-bench drives both with
// the same client code:
//
// - `GET /v3/ws` upgrades to a WebSocket. The first frame is `{"type":"auth","authToken":UID,...}`: the
//   token *is* the user's uid (no accounts, no checks). The relay answers `{"type":"ready","v":1,"user":{"uid"}}`.
// - `{"type":"send","message":{"receiver","receiverType":"user"|"group","type","data","muid"}}` is answered
//   with `{"type":"ack","muid","message"}` to the sender, and `{"type":"message","message"}` goes to every
//   connection of the receiving user and of the sender (1:1), or of every member of the group (the sender
//   included) — the same deliveries Confab makes.
// - `POST /groups` with `{"guid","members":[uid,...]}` sets a group's members (the benchmark's setup).
// - `{"type":"ping"}` is answered with `{"type":"pong"}`; any other frame is ignored.
//
// What it leaves out is what Confab does besides relaying: nothing is stored, nothing is checked (a sender
// may write to any user), no resume, no presence, no rate limit, one thread. It is the floor a chat server's
// realtime path is measured against, not a chat server.
//
// Usage: node relay.mjs [--port N] [--host H]. Port 0 (the default) picks a free port; the relay prints
// `relay listening on http://HOST:PORT` once it accepts connections.

import http from 'node:http';
import { WebSocketServer } from 'ws';

function option(name, fallback) {
  const at = process.argv.indexOf(name);
  return at >= 0 && at + 1 < process.argv.length ? process.argv[at + 1] : fallback;
}

const host = option('--host', '127.0.0.1');
const port = Number(option('--port', '0'));

/** uid -> Set of that user's signed-in sockets. */
const sockets = new Map();
/** guid -> array of member uids. */
const groups = new Map();
let nextId = 0;

function send(ws, text) {
  if (ws.readyState === ws.OPEN) ws.send(text);
}

function deliver(uids, text) {
  for (const uid of uids) {
    const devices = sockets.get(uid);
    if (devices) for (const ws of devices) send(ws, text);
  }
}

function error(ws, code, message, ref) {
  const frame = { type: 'error', error: { code, message, details: {} } };
  if (ref !== undefined) frame.ref = ref;
  send(ws, JSON.stringify(frame));
}

function relay(ws, uid, m) {
  if (!m || typeof m.receiver !== 'string') return error(ws, 'ERR_BAD_REQUEST', 'message.receiver is required', m?.muid);
  let recipients;
  if (m.receiverType === 'group') {
    const members = groups.get(m.receiver);
    if (!members) return error(ws, 'ERR_GUID_NOT_FOUND', `no group ${m.receiver}`, m.muid);
    recipients = members;
  } else {
    recipients = m.receiver === uid ? [uid] : [uid, m.receiver];
  }
  const message = {
    id: String(++nextId),
    muid: m.muid,
    sender: uid,
    receiver: m.receiver,
    receiverType: m.receiverType === 'group' ? 'group' : 'user',
    category: 'message',
    type: m.type ?? 'text',
    data: m.data ?? {},
    sentAt: Math.floor(Date.now() / 1000),
  };
  send(ws, JSON.stringify({ type: 'ack', muid: m.muid, message }));
  deliver(recipients, JSON.stringify({ type: 'message', message }));
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function answer(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

const server = http.createServer(async (req, res) => {
  if (req.method === 'POST' && req.url === '/groups') {
    try {
      const body = JSON.parse(await readBody(req));
      if (typeof body.guid !== 'string' || !Array.isArray(body.members)) {
        return answer(res, 400, { error: { code: 'ERR_BAD_REQUEST', message: 'guid and members are required' } });
      }
      groups.set(body.guid, body.members.map(String));
      return answer(res, 200, { data: { guid: body.guid, members: body.members.length } });
    } catch (e) {
      return answer(res, 400, { error: { code: 'ERR_BAD_REQUEST', message: String(e) } });
    }
  }
  answer(res, 404, { error: { code: 'ERR_NOT_FOUND', message: 'not found' } });
});

const wss = new WebSocketServer({ server, path: '/v3/ws', perMessageDeflate: false, maxPayload: 64 * 1024 });

wss.on('connection', (ws) => {
  let uid = null;
  ws.on('message', (raw, isBinary) => {
    if (isBinary) return;
    let frame;
    try {
      frame = JSON.parse(raw.toString());
    } catch {
      return error(ws, 'ERR_BAD_REQUEST', 'unreadable frame');
    }
    if (uid === null) {
      if (frame.type !== 'auth' || typeof frame.authToken !== 'string') return ws.close(4001, 'the first frame must be an auth frame');
      uid = frame.authToken;
      if (!sockets.has(uid)) sockets.set(uid, new Set());
      sockets.get(uid).add(ws);
      return send(ws, JSON.stringify({ type: 'ready', v: 1, user: { uid } }));
    }
    switch (frame.type) {
      case 'send':
        return relay(ws, uid, frame.message);
      case 'ping':
        return send(ws, '{"type":"pong"}');
      default:
        return undefined;
    }
  });
  ws.on('close', () => {
    const devices = uid === null ? undefined : sockets.get(uid);
    if (devices) {
      devices.delete(ws);
      if (devices.size === 0) sockets.delete(uid);
    }
  });
  ws.on('error', () => {});
});

server.listen({ host, port, backlog: 1024 }, () => {
  const address = server.address();
  console.log(`relay listening on http://${host}:${address.port}`);
});

for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(0));
