"""A UDP echo server that misbehaves on purpose, once: the tests of the host
peers (test_udp_soak.py: tools/udp_soak.c; test_udp_bench.py:
tools/udp_bench.c) run it on the loopback of a private network namespace and
check that each fault shows in the peer's summary.

Faults, applied to the `victim`-th datagram (0-based arrival order): drop it,
corrupt one byte (at `corrupt_at`), duplicate it, or send it after the next
one (reorder)."""
import contextlib
import socket
import threading


def _serve(sock, fault, stop, victim, corrupt_at):
    seen = 0
    held = None
    sock.settimeout(0.1)
    while not stop.is_set():
        try:
            data, addr = sock.recvfrom(65536)
        except socket.timeout:
            continue
        i, seen = seen, seen + 1
        if i == victim and fault == "drop":
            continue
        if i == victim and fault == "corrupt":
            k = corrupt_at % len(data)
            data = data[:k] + bytes([data[k] ^ 0x01]) + data[k + 1:]
        if i == victim and fault == "reorder":
            held = data         # sent after the next one
            continue
        sock.sendto(data, addr)
        if i == victim and fault == "duplicate":
            sock.sendto(data, addr)
        if held is not None:
            sock.sendto(held, addr)
            held = None


@contextlib.contextmanager
def faulty_echo(port, fault, victim, corrupt_at=0):
    """Serve on 127.0.0.1:port while the body runs (fault None: a clean echo)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", port))
    stop = threading.Event()
    t = threading.Thread(target=_serve, args=(sock, fault, stop, victim, corrupt_at), daemon=True)
    t.start()
    try:
        yield
    finally:
        stop.set()
        t.join()
        sock.close()
