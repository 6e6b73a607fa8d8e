package io.cairn.s3;

import java.security.SecureRandom;
import java.time.Clock;
import java.util.HexFormat;
import java.util.concurrent.Executors;
import org.eclipse.jetty.http.UriCompliance;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/** The S3 HTTP endpoint of a Cairn node: Jetty 12 serving {@link S3RequestHandler} on virtual threads. */
public final class S3Gateway implements AutoCloseable {
  /** Platform threads for Jetty's selectors and acceptors; requests run on virtual threads. */
  static final int PLATFORM_THREADS_MAX = 16;
  /** Largest request header block (S3 allows 8 KiB of headers plus 2 KiB of user metadata). */
  static final int REQUEST_HEADER_BYTES_MAX = 16 * 1024;

  private final Server server;
  private final ServerConnector connector;

  private S3Gateway(Server server, ServerConnector connector) {
    this.server = server;
    this.connector = connector;
  }

  public static S3Gateway start(S3GatewayConfig cfg, ObjectBackend backend, AdminHandler adminOrNull) {
    return start(cfg, backend, adminOrNull, Clock.systemUTC());
  }

  /** Starts the gateway with the clock it checks request times against. */
  public static S3Gateway start(S3GatewayConfig cfg, ObjectBackend backend, AdminHandler adminOrNull, Clock clock) {
    return start(cfg, backend, adminOrNull, clock, null);
  }

  /**
   * Starts the gateway; with {@code tlsOrNull} it serves HTTPS only (TLS 1.2 and 1.3): a
   * plaintext request to its port fails the TLS handshake and is never served.
   */
  public static S3Gateway start(S3GatewayConfig cfg, ObjectBackend backend, AdminHandler adminOrNull, Clock clock,
      javax.net.ssl.SSLContext tlsOrNull) {
    QueuedThreadPool threads = new QueuedThreadPool(PLATFORM_THREADS_MAX, 4);
    threads.setName("s3-gateway");
    threads.setVirtualThreadsExecutor(Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("s3-request").factory()));
    Server server = new Server(threads);
    HttpConfiguration http = new HttpConfiguration();
    // Keys may hold any bytes, "//" and ".." included; SigV4 signs the path as sent.
    http.setUriCompliance(UriCompliance.UNSAFE);
    // SigV4 signs header values byte for byte; a case-insensitive field cache would rewrite them.
    http.setHeaderCacheCaseSensitive(true);
    http.setRequestHeaderSize(REQUEST_HEADER_BYTES_MAX);
    http.setSendServerVersion(false);
    http.setSendDateHeader(true);
    ServerConnector connector;
    if (tlsOrNull == null) {
      connector = new ServerConnector(server, new HttpConnectionFactory(http));
    } else {
      org.eclipse.jetty.util.ssl.SslContextFactory.Server ssl = new org.eclipse.jetty.util.ssl.SslContextFactory.Server();
      ssl.setSslContext(tlsOrNull);
      ssl.setIncludeProtocols("TLSv1.3", "TLSv1.2");
      org.eclipse.jetty.server.SecureRequestCustomizer secure = new org.eclipse.jetty.server.SecureRequestCustomizer();
      // Clients reach a node by IP address or any name (virtual-host buckets too): the Host need not match SNI.
      secure.setSniHostCheck(false);
      secure.setSniRequired(false);
      http.addCustomizer(secure);
      connector = new ServerConnector(server, new org.eclipse.jetty.server.SslConnectionFactory(ssl, "http/1.1"),
          new HttpConnectionFactory(http));
    }
    connector.setHost(cfg.host());
    connector.setPort(cfg.port());
    server.addConnector(connector);
    byte[] prefix = new byte[4];
    new SecureRandom().nextBytes(prefix);
    server.setHandler(new S3RequestHandler(cfg, backend, adminOrNull, clock, HexFormat.of().formatHex(prefix).toUpperCase()));
    try {
      server.start();
    } catch (Exception e) {
      try {
        server.stop();
      } catch (Exception suppressed) {
        e.addSuppressed(suppressed);
      }
      throw new IllegalStateException("the S3 gateway could not start on " + cfg.host() + ":" + cfg.port(), e);
    }
    return new S3Gateway(server, connector);
  }

  /** The port actually bound. */
  public int port() {
    return connector.getLocalPort();
  }

  @Override
  public void close() {
    try {
      server.stop();
    } catch (Exception e) {
      throw new IllegalStateException("the S3 gateway did not stop cleanly", e);
    }
  }
}
