package io.switchboard.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.switchboard.config.HostAndPort;
import io.switchboard.proxy.demo.RespClient;
import io.switchboard.proxy.resp.RespValue;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Part of {@link RedisSemanticsContract}: the commands about the client's own connection, which the
 * proxy answers itself. Arity, syntax and error texts must be Redis's own.
 */
interface ConnectionCommandsContract {

  /** Where the client under test connects. */
  HostAndPort target();

  private RespClient connect() throws IOException {
    return RespClient.connect(target(), Duration.ofSeconds(10));
  }

  private static RespValue.Error err(String message) {
    return new RespValue.Error(message);
  }

  private static RespValue.Error arity(String command) {
    return err("ERR wrong number of arguments for '" + command + "' command");
  }

  @Test
  default void pingEchoSelectHelloAuthResetAndAclWhoamiCheckArgumentsAsRedisDoes()
      throws IOException {
    try (RespClient c = connect()) {
      assertThat(c.call("PING", "a", "b", "c")).isEqualTo(arity("ping"));
      assertThat(c.call("PING", "a", "b")).isEqualTo(arity("ping"));
      assertThat(c.call("PING", "a")).isEqualTo("a");
      assertThat(c.call("ECHO")).isEqualTo(arity("echo"));
      assertThat(c.call("ECHO", "a", "b")).isEqualTo(arity("echo"));
      assertThat(c.call("SELECT")).isEqualTo(arity("select"));
      assertThat(c.call("SELECT", "1", "2")).isEqualTo(arity("select"));
      assertThat(c.call("SELECT", "x"))
          .isEqualTo(err("ERR value is not an integer or out of range"));
      assertThat(c.call("SELECT", "99")).isEqualTo(err("ERR DB index is out of range"));
      assertThat(c.call("HELLO", "4")).isEqualTo(err("NOPROTO unsupported protocol version"));
      assertThat(c.call("HELLO", "x"))
          .isEqualTo(err("ERR Protocol version is not an integer or out of range"));
      assertThat(c.call("HELLO", "3", "foo"))
          .isEqualTo(err("ERR Syntax error in HELLO option 'foo'"));
      assertThat(c.call("HELLO", "2", "setname"))
          .isEqualTo(err("ERR Syntax error in HELLO option 'setname'"));
      assertThat(c.call("AUTH")).isEqualTo(arity("auth"));
      assertThat(c.call("AUTH", "a", "b", "c")).isEqualTo(err("ERR syntax error"));
      assertThat(c.call("AUTH", "x"))
          .isEqualTo(
              err(
                  "ERR AUTH <password> called without any password configured for the default"
                      + " user. Are you sure your configuration is correct?"));
      assertThat(c.call("RESET", "x")).isEqualTo(arity("reset"));
      assertThat(c.call("ACL", "WHOAMI", "x")).isEqualTo(arity("acl|whoami"));
      assertThat(c.call("ACL", "WHOAMI")).isEqualTo("default");
      assertThat(c.call("PING")).isEqualTo("PONG");
    }
    try (RespClient c = connect()) {
      assertThat(c.call("QUIT", "with", "arguments")).isEqualTo("OK");
      assertThat(c.isClosedByPeer()).isTrue();
    }
  }

  @Test
  default void clientSubcommandsCheckArgumentsAsRedisDoes() throws IOException {
    try (RespClient c = connect()) {
      assertThat(c.call("CLIENT")).isEqualTo(arity("client"));
      assertThat(c.call("CLIENT", "Foo"))
          .isEqualTo(err("ERR unknown subcommand 'Foo'. Try CLIENT HELP."));
      assertThat(c.call("client", "foo"))
          .isEqualTo(err("ERR unknown subcommand 'foo'. Try CLIENT HELP."));
      assertThat(c.call("CLIENT", "ID", "x")).isEqualTo(arity("client|id"));
      assertThat(c.call("CLIENT", "GETNAME", "x")).isEqualTo(arity("client|getname"));
      assertThat(c.call("CLIENT", "SETNAME")).isEqualTo(arity("client|setname"));
      assertThat(c.call("CLIENT", "SETNAME", "a b"))
          .isEqualTo(
              err("ERR Client names cannot contain spaces, newlines or special characters."));
      assertThat(c.call("CLIENT", "INFO", "x")).isEqualTo(arity("client|info"));
      assertThat(c.call("CLIENT", "REPLY")).isEqualTo(arity("client|reply"));
      assertThat(c.call("CLIENT", "REPLY", "maybe")).isEqualTo(err("ERR syntax error"));
      assertThat(c.call("CLIENT", "NO-EVICT", "maybe")).isEqualTo(err("ERR syntax error"));
      assertThat(c.call("CLIENT", "NO-EVICT", "on")).isEqualTo("OK");
      assertThat(c.call("CLIENT", "NO-EVICT", "OFF")).isEqualTo("OK");
      assertThat(c.call("CLIENT", "HELP", "x")).isEqualTo(arity("client|help"));
      assertThat(c.call("CLIENT", "HELP"))
          .isInstanceOfSatisfying(
              List.class, help -> assertThat(help.get(0)).asString().startsWith("CLIENT <"));
      assertThat(c.call("CLIENT", "PAUSE", "20", "WRITE")).isEqualTo("OK");
      assertThat(c.call("CLIENT", "UNPAUSE")).isEqualTo("OK");
      assertThat(c.call("CLIENT", "SETNAME", "contract")).isEqualTo("OK");
      assertThat(c.call("CLIENT", "GETNAME")).isEqualTo("contract");
    }
  }

  /**
   * Subcommands a server version may lack (SETINFO and NO-TOUCH came with 7.2) answer as the server
   * behind the proxy does, whichever version it is.
   */
  @Test
  default void clientSubcommandsOfNewerServersAnswerAsTheServerDoes() throws IOException {
    List<List<String>> commands =
        List.of(
            List.of("CLIENT", "SETINFO", "LIB-NAME", "contract"),
            List.of("CLIENT", "SETINFO", "lib-ver", "1.0"),
            List.of("CLIENT", "SETINFO", "lib-name", "a b"),
            List.of("CLIENT", "SETINFO", "color", "red"),
            List.of("CLIENT", "NO-TOUCH", "on"),
            List.of("CLIENT", "NO-TOUCH", "maybe"));
    HostAndPort server = SharedTopology.get().primary().address();
    try (RespClient c = connect();
        RespClient direct = RespClient.connect(server, Duration.ofSeconds(10))) {
      for (List<String> command : commands) {
        assertThat(c.call(command.toArray()))
            .as(String.join(" ", command))
            .isEqualTo(direct.call(command.toArray()));
      }
    }
  }

  @Test
  default void clientReplyOffOnAndSkipDropExactlyTheRepliesRedisDrops() throws IOException {
    String key = "it:reply:" + UUID.randomUUID();
    List<List<String>> pipeline =
        List.of(
            List.of("CLIENT", "REPLY", "SKIP"),
            List.of("SET", key, "1"),
            List.of("GET", key),
            List.of("CLIENT", "REPLY", "OFF"),
            List.of("INCR", key),
            List.of("CLIENT", "REPLY", "FOO"),
            List.of("CLIENT", "REPLY", "ON"),
            List.of("GET", key),
            List.of("CLIENT", "REPLY", "FOO"),
            List.of("CLIENT", "REPLY", "SKIP"),
            List.of("CLIENT", "REPLY", "ON"),
            List.of("PING"));
    try (RespClient c = connect()) {
      java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
      pipeline.forEach(command -> out.writeBytes(RespClient.encode(command.toArray())));
      c.send(out.toByteArray());
      List<Object> replies = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        replies.add(c.read());
      }
      assertThat(replies).containsExactly("1", "OK", "2", err("ERR syntax error"), "OK", "PONG");
      assertThat(c.readWithin(Duration.ofMillis(200))).as("nothing more").isNull();
    }
  }

  @Test
  default void connectionCommandsInsideMultiRunAtExecInTheirPlace() throws IOException {
    String key = "it:multi-local:" + UUID.randomUUID();
    try (RespClient c = connect()) {
      Object id = c.call("CLIENT", "ID");
      assertThat(c.call("MULTI")).isEqualTo("OK");
      assertThat(c.call("SET", key, "1")).isEqualTo("QUEUED");
      assertThat(c.call("CLIENT", "SETNAME", "in-multi")).isEqualTo("QUEUED");
      assertThat(c.call("CLIENT", "GETNAME")).isEqualTo("QUEUED");
      assertThat(c.call("ACL", "WHOAMI")).isEqualTo("QUEUED");
      assertThat(c.call("GET", key)).isEqualTo("QUEUED");
      assertThat(c.call("CLIENT", "ID")).isEqualTo("QUEUED");
      assertThat(c.call("CLIENT", "SETNAME", "bad name")).isEqualTo("QUEUED");
      assertThat(c.call("ECHO", "e")).isEqualTo("QUEUED");
      assertThat(c.call("EXEC"))
          .isEqualTo(
              List.of(
                  "OK",
                  "OK",
                  "in-multi",
                  "default",
                  "1",
                  id,
                  err("ERR Client names cannot contain spaces, newlines or special characters."),
                  "e"));
      assertThat(c.call("CLIENT", "GETNAME")).isEqualTo("in-multi");

      assertThat(c.call("MULTI")).isEqualTo("OK");
      assertThat(c.call("CLIENT", "SETNAME", "discarded")).isEqualTo("QUEUED");
      assertThat(c.call("DISCARD")).isEqualTo("OK");
      assertThat(c.call("CLIENT", "GETNAME")).as("DISCARD ran nothing").isEqualTo("in-multi");

      assertThat(c.call("MULTI")).isEqualTo("OK");
      assertThat(c.call("CLIENT", "SETNAME", "aborted")).isEqualTo("QUEUED");
      assertThat(c.call("CLIENT", "NOSUCH"))
          .isEqualTo(err("ERR unknown subcommand 'NOSUCH'. Try CLIENT HELP."));
      assertThat(c.call("EXEC"))
          .isEqualTo(err("EXECABORT Transaction discarded because of previous errors."));
      assertThat(c.call("CLIENT", "GETNAME")).isEqualTo("in-multi");
    }
  }
}
