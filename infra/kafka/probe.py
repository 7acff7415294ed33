#!/usr/bin/env python3
"""Readiness probe: sends one Kafka Metadata request (v4) and checks the answer.

Usage: probe.py HOST:PORT [MIN_BROKERS]
Exit 0 when the broker answered with at least MIN_BROKERS brokers (default 1) and a known controller id.
A broker whose PLAINTEXT listener accepts connections but cannot serve metadata yet fails the probe.
Prints "brokers=<n> controller=<id> cluster=<id>" on success.
"""
import socket
import struct
import sys


def read_exact(sock, n):
    buf = b''
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError('connection closed by broker')
        buf += chunk
    return buf


def main():
    host, port = sys.argv[1].rsplit(':', 1)
    min_brokers = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    client_id = b'kstreams-ts-probe'
    # Header v1: api_key=3 (Metadata), api_version=4, correlation_id, client_id.
    header = struct.pack('>hhih', 3, 4, 7, len(client_id)) + client_id
    # Body v4: topics=null (all topics), allow_auto_topic_creation=false.
    body = struct.pack('>ib', -1, 0)
    request = header + body
    with socket.create_connection((host, int(port)), timeout=2) as sock:
        sock.settimeout(3)
        sock.sendall(struct.pack('>i', len(request)) + request)
        size = struct.unpack('>i', read_exact(sock, 4))[0]
        data = read_exact(sock, size)
    pos = 0

    def take(fmt):
        nonlocal pos
        values = struct.unpack_from(fmt, data, pos)
        pos += struct.calcsize(fmt)
        return values[0] if len(values) == 1 else values

    def take_string():
        nonlocal pos
        length = take('>h')
        if length < 0:
            return None
        s = data[pos:pos + length].decode()
        pos += length
        return s

    correlation_id = take('>i')
    if correlation_id != 7:
        raise ValueError('unexpected correlation id')
    take('>i')  # throttle_time_ms
    brokers = take('>i')
    for _ in range(brokers):
        take('>i')  # node_id
        take_string()  # host
        take('>i')  # port
        take_string()  # rack
    cluster_id = take_string()
    controller_id = take('>i')
    if brokers < min_brokers or controller_id < 0:
        print(f'brokers={brokers} controller={controller_id}: not ready', file=sys.stderr)
        return 1
    print(f'brokers={brokers} controller={controller_id} cluster={cluster_id}')
    return 0


if __name__ == '__main__':
    try:
        sys.exit(main())
    except (OSError, ValueError, struct.error) as e:
        print(f'not ready: {e}', file=sys.stderr)
        sys.exit(1)
