package dev.sluice.support;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP proxy for fault injection: the gateway talks to a service through it, and a test can cut
 * every connection and refuse new ones ({@link #cut}), then let traffic through again
 * ({@link #restore}), without stopping the shared service other tests use.
 */
public final class TcpProxy {
  private final Vertx vertx;
  private final String targetHost;
  private final int targetPort;
  private final NetClient client;
  private final Set<NetSocket> sockets = ConcurrentHashMap.newKeySet();
  private volatile boolean open = true;
  private NetServer server;

  public TcpProxy(Vertx vertx, String targetHost, int targetPort) {
    this.vertx = vertx;
    this.targetHost = targetHost;
    this.targetPort = targetPort;
    this.client = vertx.createNetClient();
  }

  public Future<Integer> start() {
    server = vertx.createNetServer().connectHandler(in -> {
      if (!open) {
        in.close();
        return;
      }
      in.pause();
      client.connect(targetPort, targetHost).onComplete(ar -> {
        if (ar.failed() || !open) {
          in.close();
          if (ar.succeeded()) ar.result().close();
          return;
        }
        NetSocket out = ar.result();
        sockets.add(in);
        sockets.add(out);
        in.closeHandler(v -> out.close());
        out.closeHandler(v -> in.close());
        in.pipeTo(out);
        out.pipeTo(in);
        in.resume();
      });
    });
    return server.listen(0, "127.0.0.1").map(NetServer::actualPort);
  }

  /** Closes every proxied connection and refuses new ones: the service looks down. */
  public void cut() {
    open = false;
    sockets.forEach(NetSocket::close);
    sockets.clear();
  }

  public void restore() {
    open = true;
  }

  public Future<Void> close() {
    cut();
    return server.close();
  }
}
