"""A fault-injecting TCP proxy for the fault suite, on loopback only: one listening port per
broker, forwarding to the broker's PROXIED listener, which advertises the proxy's port, so
a client bootstrapped on the proxy reaches every broker through it. Each port has a mode:

  pass       bytes flow both ways;
  blackhole  connections are accepted and kept, bytes are read and dropped, nothing comes
             back (a network that swallows traffic, for this client only);
  slow       every chunk waits `delay` seconds before it is forwarded, each way.

The proxy runs its own event loop in a daemon thread; set_mode() is thread-safe."""
import asyncio
import threading

CHUNK = 65536


class FaultProxy:
    def __init__(self, routes, delay=0.3):
        """routes: {listen_port: (upstream_host, upstream_port)} on 127.0.0.1."""
        self.routes = dict(routes)
        self.delay = delay
        self.modes = {port: "pass" for port in self.routes}
        self.connections = {port: set() for port in self.routes}
        self.loop = asyncio.new_event_loop()
        self.servers = []
        ready = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(ready,), daemon=True)
        self.thread.start()
        if not ready.wait(10):
            raise RuntimeError("the fault proxy did not start")

    def _run(self, ready):
        asyncio.set_event_loop(self.loop)
        for port in self.routes:
            self.servers.append(self.loop.run_until_complete(
                asyncio.start_server(lambda r, w, p=port: self._serve(p, r, w), "127.0.0.1", port)))
        ready.set()
        self.loop.run_forever()

    def set_mode(self, port, mode):
        if mode not in ("pass", "blackhole", "slow"):
            raise ValueError(f"unknown proxy mode {mode}")
        self.loop.call_soon_threadsafe(self.modes.__setitem__, port, mode)

    def stop(self):
        def shutdown():
            for server in self.servers:
                server.close()
            for writers in self.connections.values():
                for writer in writers:
                    writer.close()
            self.loop.stop()
        self.loop.call_soon_threadsafe(shutdown)
        self.thread.join(10)

    async def _serve(self, port, client_reader, client_writer):
        self.connections[port].add(client_writer)
        host, upstream_port = self.routes[port]
        try:
            upstream_reader, upstream_writer = await asyncio.wait_for(
                asyncio.open_connection(host, upstream_port), 10)
        except (OSError, asyncio.TimeoutError):
            if self.modes[port] == "blackhole":
                await self._swallow(client_reader)
            client_writer.close()
            self.connections[port].discard(client_writer)
            return
        self.connections[port].add(upstream_writer)
        await asyncio.gather(self._pipe(port, client_reader, upstream_writer),
                             self._pipe(port, upstream_reader, client_writer), return_exceptions=True)
        for writer in (client_writer, upstream_writer):
            writer.close()
            self.connections[port].discard(writer)

    async def _swallow(self, reader):
        while await reader.read(CHUNK):
            pass

    async def _pipe(self, port, reader, writer):
        """Forwards one direction until EOF through a delay line: a slow port delivers each
        chunk `delay` seconds after it was read (a latency, not a bandwidth limit); a
        blackholed port drops what it reads."""
        line = asyncio.Queue()

        async def deliver():
            while True:
                due, data = await line.get()
                if data is None:
                    return
                wait = due - self.loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)
                writer.write(data)
                await writer.drain()

        delivering = asyncio.ensure_future(deliver())
        try:
            while True:
                data = await reader.read(CHUNK)
                if not data:
                    break
                mode = self.modes[port]
                if mode == "blackhole":
                    continue
                line.put_nowait((self.loop.time() + (self.delay if mode == "slow" else 0), data))
            line.put_nowait((0, None))
            await delivering
        except (ConnectionError, OSError):
            pass
        finally:
            delivering.cancel()
            writer.close()
