#!/usr/bin/env python3
"""A TCP proxy that delays every chunk by D ms each way (tests/bench).

    delay_proxy.py TARGET_PORT DELAY_MS [LISTEN_PORT]

Listens on 127.0.0.1:LISTEN_PORT (a free port if 0 or not given), prints
"ready PORT" on standard output once it accepts, and forwards every
connection to 127.0.0.1:TARGET_PORT. Each chunk read from either side is
written to the other DELAY_MS milliseconds after it was read, in the
order read: a round trip through it takes 2 * DELAY_MS more, as with a
remote provider, while bandwidth stays that of loopback (chunks read
while earlier ones wait are in flight together, as on a long link). An
end of file is passed on after the data before it, also delayed. Many
connections at once (asyncio, one task per direction); SIGTERM or
SIGINT ends it.
"""

import asyncio
import signal
import sys


async def pump(reader, writer, delay, loop):
    """Copy READER to WRITER, each chunk DELAY seconds after it came."""
    queue = asyncio.Queue()

    async def later():
        while True:
            due, data = await queue.get()
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            if data is None:
                break
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()

    sender = asyncio.ensure_future(later())
    try:
        while True:
            data = await reader.read(65536)
            queue.put_nowait((loop.time() + delay, data or None))
            if not data:
                break
        await sender
    except (ConnectionError, OSError):
        sender.cancel()
    return sender


async def serve(target, delay, listen):
    loop = asyncio.get_running_loop()

    async def connection(client_reader, client_writer):
        try:
            server_reader, server_writer = await asyncio.open_connection(
                "127.0.0.1", target)
        except OSError:
            client_writer.close()
            return
        # The connection itself takes one round trip through the link.
        await asyncio.sleep(2 * delay)
        try:
            await asyncio.gather(
                pump(client_reader, server_writer, delay, loop),
                pump(server_reader, client_writer, delay, loop),
                return_exceptions=True)
        finally:
            for w in (client_writer, server_writer):
                w.close()

    server = await asyncio.start_server(connection, "127.0.0.1", listen,
                                        backlog=1024)
    port = server.sockets[0].getsockname()[1]
    print(f"ready {port}", flush=True)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with server:
        await stop.wait()


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit("usage: delay_proxy.py TARGET_PORT DELAY_MS [LISTEN_PORT]")
    target, delay = int(sys.argv[1]), float(sys.argv[2]) / 1000
    listen = int(sys.argv[3]) if len(sys.argv) == 4 else 0
    asyncio.run(serve(target, delay, listen))


if __name__ == "__main__":
    main()
