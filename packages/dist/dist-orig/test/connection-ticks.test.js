import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SimulatedClock, memoryLogger, silentLogger } from '@tekka/actors';
import { Connection } from '../src/index.js';
import { socketPair, once, sleep } from './helpers/wire.js';
test('a silent peer is declared down with net_tick_timeout after tickTime', async () => {
    const pair = await socketPair();
    const logger = memoryLogger('tekka:dist:connection');
    const conn = new Connection(pair.client, { logger, tickTime: 400 });
    const started = Date.now();
    const [reason] = await once(conn, 'close', 3000);
    const took = Date.now() - started;
    assert.is(reason, 'net_tick_timeout');
    assert.ok(took >= 390 && took < 1000, `took ${took} ms`);
    assert.ok(logger.records.some((r) => r.level === 'warn' && r.fields?.reason === 'net_tick_timeout'));
    pair.close();
});
test('an idle link stays up: both ends tick every tickTime / 4', async () => {
    const pair = await socketPair();
    const left = new Connection(pair.client, { logger: silentLogger(), tickTime: 200 });
    const right = new Connection(pair.server, { logger: silentLogger(), tickTime: 200 });
    let closed = false;
    left.on('close', () => { closed = true; });
    right.on('close', () => { closed = true; });
    await sleep(800);
    assert.not.ok(closed);
    assert.ok(left.stats.ticksOut >= 10, `ticks sent: ${left.stats.ticksOut}`);
    assert.ok(right.stats.ticksIn >= 10, `ticks received: ${right.stats.ticksIn}`);
    assert.is(left.stats.messagesIn + right.stats.messagesIn, 0);
    left.close();
    right.close();
});
test('ticks follow Erlang\'s counting on the injected clock', async () => {
    const clock = new SimulatedClock();
    const pair = await socketPair();
    const conn = new Connection(pair.client, { logger: silentLogger(), tickTime: 1000, clock });
    let reason;
    conn.on('close', (r) => { reason = r; });
    const peerBytes = [];
    pair.server.on('data', (d) => peerBytes.push(d.length));
    // Nothing written: every quarter sends a tick (a 4-byte frame).
    await clock.advance(250);
    await sleep(20);
    assert.equal(peerBytes, [4]);
    // Traffic from the peer resets the count.
    await clock.advance(500);
    pair.server.write(Buffer.alloc(4));
    await sleep(20);
    await clock.advance(250);
    await clock.advance(750);
    assert.is(reason, undefined, 'three silent checks since the last traffic');
    await clock.advance(250);
    assert.is(reason, 'net_tick_timeout');
    assert.is(clock.pending, 0);
    pair.close();
});
test('data written in an interval replaces the tick', async () => {
    const clock = new SimulatedClock();
    const pair = await socketPair();
    const conn = new Connection(pair.client, { logger: silentLogger(), tickTime: 1000, clock });
    conn.send('x');
    await sleep(20);
    await clock.advance(250);
    assert.is(conn.stats.ticksOut, 0);
    await clock.advance(250);
    assert.is(conn.stats.ticksOut, 1);
    conn.close();
    pair.close();
});
test.run();
//# sourceMappingURL=connection-ticks.test.js.map