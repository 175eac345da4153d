package io.switchboard.proxy.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.switchboard.config.ClientAuthConfig;
import io.switchboard.config.InvalidConfigException;
import io.switchboard.config.UserConfig;
import io.switchboard.routing.CommandTable;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.HashMap;
import java.util.Map;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * Who may connect as whom: the proxy's users and the count of failed attempts per client address.
 * Shared by every event loop; the users are one immutable set a reload replaces whole, the failure
 * counts concurrent.
 */
public final class ClientAuth {

  /** Addresses remembered at most; past it the least recent are forgotten (Caffeine's policy). */
  private static final int MAX_ADDRESSES = 100_000;

  /** The users as configured; replaced whole by a reload. */
  private volatile Users users;

  private final boolean redisChecks;
  private volatile int maxFailures;
  private volatile long windowNanos;
  private final Cache<InetAddress, FailureWindow> failures;

  /** The default user, the named ones, and whether a new connection must authenticate. */
  private record Users(
      ClientUser defaultUser,
      boolean defaultUserOn,
      boolean required,
      Map<String, ClientUser> named) {

    /** Throws InvalidConfigException naming a user's deny entry that is no command. */
    static Users of(ClientAuthConfig config, CommandTable commands) {
      Map<String, ClientUser> named = new HashMap<>();
      for (int i = 0; i < config.users().size(); i++) {
        UserConfig user = config.users().get(i);
        try {
          commands.deny(user.deny(), "checked"); // unknown names fail here, not silently later
        } catch (IllegalArgumentException e) {
          throw new InvalidConfigException(
              "switchboard.auth.users." + i + ".deny: " + e.getMessage());
        }
        named.put(user.name(), ClientUser.of(user));
      }
      // With named users and no default password the default user is off, as with Redis's
      // "user default off": a client must name a user.
      return new Users(
          ClientUser.defaultUser(config.password()),
          config.users().isEmpty() || !config.password().isEmpty(),
          config.required(),
          Map.copyOf(named));
    }
  }

  public ClientAuth(ClientAuthConfig config, CommandTable commands) {
    this.users = Users.of(config, commands);
    this.redisChecks = config.mode() == ClientAuthConfig.Mode.REDIS;
    this.maxFailures = config.maxFailuresPerAddress();
    this.windowNanos = config.failureWindow().toNanos();
    this.failures =
        Caffeine.newBuilder()
            .maximumSize(MAX_ADDRESSES)
            .expireAfterWrite(config.failureWindow())
            .build();
  }

  /**
   * Checks a reload's users and passwords (auth.mode is not among them: it needs a restart) and
   * returns what puts them in force; throws InvalidConfigException, changing nothing, if they do
   * not hold. Failures counted so far are kept.
   */
  public Runnable prepare(ClientAuthConfig next, CommandTable commands) {
    Users checked = Users.of(next, commands);
    return () -> {
      users = checked;
      maxFailures = next.maxFailuresPerAddress();
      windowNanos = next.failureWindow().toNanos();
      failures.policy().expireAfterWrite().ifPresent(e -> e.setExpiresAfter(next.failureWindow()));
    };
  }

  /**
   * The user called {@code name} as configured now (the default user always exists, as in Redis),
   * or null when there is none: after a reload, a session's user is looked up again.
   */
  public ClientUser user(String name) {
    Users now = users;
    return name.equals("default") ? now.defaultUser : now.named.get(name);
  }

  /** The user a new connection runs as, or null when it must authenticate first. */
  public ClientUser initialUser() {
    Users now = users;
    return now.required ? null : now.defaultUser;
  }

  /** Whether {@code AUTH <password>} means anything: the default user has a password. */
  public boolean defaultHasPassword() {
    Users now = users;
    return now.defaultUserOn && now.defaultUser.needsPassword();
  }

  /** Whether a user of this name exists (the default user always does, as in Redis). */
  public boolean exists(String name) {
    // With the servers' users the proxy cannot tell: CLIENT KILL USER then just matches none.
    return redisChecks || name.equals("default") || users.named.containsKey(name);
  }

  /** auth.mode = redis: the primary checks passwords, and sessions run as their Redis user. */
  public boolean redisChecks() {
    return redisChecks;
  }

  /** The user named, if it exists and is on, and the password is its own; else null. */
  public ClientUser check(String name, byte[] password) {
    Users now = users;
    ClientUser user =
        name.equals("default") ? (now.defaultUserOn ? now.defaultUser : null) : now.named.get(name);
    return user != null && user.accepts(password) ? user : null;
  }

  /**
   * The named user (not the default one) that a verified client certificate's Common Name names, or
   * null: no certificate, no CN, or no such user.
   */
  public ClientUser fromCertificate(SSLSession tls) {
    try {
      Certificate[] chain = tls.getPeerCertificates();
      if (chain.length == 0 || !(chain[0] instanceof X509Certificate leaf)) {
        return null;
      }
      for (Rdn part : new LdapName(leaf.getSubjectX500Principal().getName()).getRdns()) {
        if (part.getType().equalsIgnoreCase("CN")) {
          return users.named.get(String.valueOf(part.getValue()));
        }
      }
      return null;
    } catch (SSLPeerUnverifiedException | InvalidNameException e) {
      return null; // no certificate (client-auth = optional), or a subject we cannot read
    }
  }

  /** Whether {@code address} has failed too often lately to be let try again. */
  public boolean blocked(SocketAddress address) {
    FailureWindow window = failures.getIfPresent(key(address));
    return window != null && window.full(System.nanoTime(), maxFailures, windowNanos);
  }

  /** Counts a failure; true when it is the one that blocks the address. */
  public boolean failed(SocketAddress address) {
    long now = System.nanoTime();
    return failures.get(key(address), k -> new FailureWindow(now)).add(now, windowNanos)
        == maxFailures;
  }

  private static InetAddress key(SocketAddress address) {
    return address instanceof InetSocketAddress inet && inet.getAddress() != null
        ? inet.getAddress()
        : InetAddress.getLoopbackAddress();
  }

  /** Failures from one address since the start of its current window. */
  private static final class FailureWindow {
    private long startNanos;
    private int count;

    FailureWindow(long now) {
      this.startNanos = now;
    }

    synchronized int add(long now, long windowNanos) {
      if (now - startNanos >= windowNanos) {
        startNanos = now;
        count = 0;
      }
      return ++count;
    }

    synchronized boolean full(long now, int max, long windowNanos) {
      return count >= max && now - startNanos < windowNanos;
    }
  }
}
