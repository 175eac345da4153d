package io.switchboard.routing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Set;
import org.junit.jupiter.api.Test;

class RouterTest {

  private final CommandTable table = CommandTable.builtIn();

  private Route route(String... request) {
    CommandArgs args = CommandArgs.of(request);
    return Router.route(Commands.classify(table, args), args);
  }

  @Test
  void readsAreReadsAndEverythingElseGoesToThePrimary() {
    assertThat(route("GET", "k")).isEqualTo(Route.READ);
    assertThat(route("zrangebyscore", "z", "0", "1")).isEqualTo(Route.READ);
    assertThat(route("SET", "k", "v")).isEqualTo(Route.PRIMARY);
    assertThat(route("MYMODULE.CMD", "k")).as("unknown: the safe default").isEqualTo(Route.PRIMARY);
    assertThat(route("OBJECT", "ENCODING", "k"))
        .as("node state: the node the writes went to")
        .isEqualTo(Route.PRIMARY);
    assertThat(route("EVAL_RO", "return 1", "0")).isEqualTo(Route.READ);
    assertThat(route("EVAL", "return 1", "0")).isEqualTo(Route.PRIMARY);
  }

  @Test
  void scriptCacheChangesAndConfigSetAreBroadcastToEveryNode() {
    assertThat(route("SCRIPT", "LOAD", "return 1")).isEqualTo(Route.SCRIPT_CACHE);
    assertThat(route("script", "flush")).isEqualTo(Route.SCRIPT_CACHE);
    assertThat(route("CONFIG", "SET", "maxmemory", "1mb")).isEqualTo(Route.EVERY_NODE);
    assertThat(Route.SCRIPT_CACHE.broadcast()).isTrue();
    assertThat(Route.EVERY_NODE.broadcast()).isTrue();
    assertThat(route("CONFIG", "GET", "maxmemory")).isEqualTo(Route.PRIMARY);
    assertThat(route("SCRIPT", "EXISTS", "abc")).isEqualTo(Route.PRIMARY);
    assertThat(Route.PRIMARY.broadcast()).isFalse();
  }

  @Test
  void xreadBorrowsAConnectionOnlyWithBlock() {
    assertThat(route("XREAD", "STREAMS", "s", "0"))
        .as("flagged blocking, so not a plain read: on the shared primary connection")
        .isEqualTo(Route.PRIMARY);
    assertThat(route("xread", "block", "100", "STREAMS", "s", "$")).isEqualTo(Route.EXCLUSIVE);
    assertThat(route("XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">"))
        .isEqualTo(Route.EXCLUSIVE);
    assertThat(route("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">"))
        .isEqualTo(Route.PRIMARY);
    assertThat(route("BLPOP", "l", "0")).isEqualTo(Route.EXCLUSIVE);
    assertThat(route("WAIT", "1", "0")).isEqualTo(Route.EXCLUSIVE);
    assertThat(Route.EXCLUSIVE.exclusive()).isTrue();
  }

  @Test
  void connectionStateTransactionsAndSubscriptionsHaveTheirOwnRoutes() {
    assertThat(route("CLIENT", "SETNAME", "x")).isEqualTo(Route.LOCAL);
    assertThat(route("SELECT", "1")).isEqualTo(Route.LOCAL);
    assertThat(route("CLIENT", "PAUSE", "10")).as("the server's").isEqualTo(Route.PRIMARY);
    assertThat(route("MULTI")).isEqualTo(Route.TRANSACTION);
    assertThat(route("WATCH", "k")).isEqualTo(Route.TRANSACTION);
    assertThat(route("SUBSCRIBE", "c")).isEqualTo(Route.SUBSCRIPTION);
    assertThat(route("PUBLISH", "c", "m")).isEqualTo(Route.PRIMARY);
  }

  @Test
  void deniedAndUnsupportedCommandsAreRefusedWithRedisStyleErrors() {
    CommandTable denied = table.deny(Set.of("KEYS", "CONFIG|SET"), "denied by routing.deny");
    CommandArgs keys = CommandArgs.of("keys", "*");
    CommandSpec spec = Commands.classify(denied, keys);
    assertThat(Router.route(spec, keys)).isEqualTo(Route.REFUSED);
    assertThat(Router.refusal(spec)).isEqualTo("ERR 'keys' is denied by routing.deny");
    CommandArgs configSet = CommandArgs.of("CONFIG", "set", "x", "y");
    assertThat(Router.refusal(Commands.classify(denied, configSet)))
        .isEqualTo("ERR 'config set' is denied by routing.deny");
    assertThat(route("MONITOR")).isEqualTo(Route.REFUSED);
    assertThat(Router.refusal(table.lookup("MONITOR")))
        .startsWith("ERR 'monitor' is not supported");
    assertThat(Router.refusal(table.lookup("GET"))).isNull();
  }
}
