package io.switchboard.config;

/**
 * TLS for client ports: the certificate the proxy presents and whether it asks clients for theirs.
 *
 * @param onMainPort the main port ({@code listen}) speaks TLS; other ports say so in their own
 *     {@link ListenerConfig#tls()}
 * @param caFile PEM certificates that client certificates must chain to
 */
public record ListenerTlsConfig(
    boolean onMainPort,
    String certFile,
    String keyFile,
    String caFile,
    ClientCertificates clients) {

  public static final ListenerTlsConfig OFF =
      new ListenerTlsConfig(false, "", "", "", ClientCertificates.NONE);

  /** Whether clients must, may or need not present a certificate (signed by {@code caFile}). */
  public enum ClientCertificates {
    NONE,
    OPTIONAL,
    REQUIRE
  }
}
