package io.switchboard.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.switchboard.proxy.demo.LocalCluster;
import io.switchboard.proxy.demo.RedisNode;
import io.switchboard.proxy.demo.RespClient;
import io.switchboard.proxy.resp.RespValue;
import io.switchboard.routing.KeySlot;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The cluster's membership changes under a running proxy, which follows without a restart: the
 * admin endpoint shows the shards, a node taken out of the cluster stops being used, a node added
 * and given slots starts being used.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterMembershipIT {

  private static final Duration CHANGE = Duration.ofSeconds(30);

  private static LocalCluster cluster;
  private static TestProxy proxy;

  @BeforeAll
  static void start() throws Exception {
    cluster = LocalCluster.start();
    proxy = TestProxy.cluster(cluster, "switchboard.cluster.refresh-interval = 500ms\n");
    proxy.awaitPrimary();
  }

  @AfterAll
  static void stop() {
    if (proxy != null) {
      proxy.close();
    }
    cluster.close();
  }

  @Test
  @Order(1)
  void theAdminEndpointShowsEveryShardWithItsSlotsAndNodes() throws Exception {
    await()
        .atMost(CHANGE)
        .untilAsserted(
            () -> {
              String topology = proxy.admin("/topology");
              assertThat(topology).contains("\"mode\":\"cluster\"");
              for (RedisNode primary : cluster.primaries()) {
                assertThat(topology).contains("\"address\":\"" + primary.address() + "\"");
              }
              for (RedisNode replica : cluster.replicas()) {
                assertThat(topology).contains("\"address\":\"" + replica.address() + "\"");
              }
              assertThat(topology).contains("\"slots\":[\"0-5460\"]", "\"confirmedByRole\":true");
              assertThat(topology).doesNotContain("\"confirmedByRole\":false");
              assertThat(topology).contains("\"eligible\":true");
            });
    await()
        .atMost(CHANGE)
        .untilAsserted(
            () -> assertThat(proxy.admin("/health/ready")).contains("\"status\":\"ready\""));
    String metrics = proxy.admin("/metrics");
    assertThat(metrics)
        .containsPattern(
            "switchboard_shard_primary_up\\{primary=\"[^\"]+\",shard=\"0-5460\",?} 1\\.0")
        .contains("switchboard_shard_replicas_eligible{shard=\"5461-10921\"} 1.0")
        .contains("switchboard_shard_replicas_eligible{shard=\"10922-16383\"} 1.0");
  }

  @Test
  @Order(2)
  void aReplicaTakenOutOfTheClusterStopsBeingUsed() throws Exception {
    RedisNode gone = cluster.replicas().get(0);
    cluster.removeReplica(gone);
    await()
        .atMost(CHANGE)
        .untilAsserted(
            () ->
                assertThat(proxy.admin("/topology"))
                    .as("neither a shard's replica nor a node asked")
                    .doesNotContain("\"address\":\"" + gone.address() + "\""));
    try (RespClient client = RespClient.connect(proxy.address(), Duration.ofSeconds(5))) {
      for (int i = 0; i < 200; i++) {
        assertThat(client.call("SET", "it:gone:" + i, "v")).isEqualTo("OK");
        assertThat(client.call("GET", "it:gone:" + i)).isEqualTo("v");
      }
    }
  }

  @Test
  @Order(3)
  void aNodeAddedAndGivenSlotsStartsBeingUsed() throws Exception {
    RedisNode added = cluster.addNode(CHANGE);
    cluster.awaitReady(CHANGE); // as an operator waits for the new node to see the cluster ok
    String key = "{added}key";
    int slot = KeySlot.of(key);
    RedisNode from = null;
    for (RedisNode primary : cluster.currentPrimaries()) {
      if (primary != added && !(primary.call("EXISTS", key) instanceof RespValue.Error)) {
        from = primary;
      }
    }
    assertThat(from).as("the slot's owner").isNotNull();
    String addedId = String.valueOf(added.call("CLUSTER", "MYID"));
    String fromId = String.valueOf(from.call("CLUSTER", "MYID"));
    String s = Integer.toString(slot);
    assertThat(added.call("CLUSTER", "SETSLOT", s, "IMPORTING", fromId)).isEqualTo("OK");
    assertThat(from.call("CLUSTER", "SETSLOT", s, "MIGRATING", addedId)).isEqualTo("OK");
    for (RedisNode node : cluster.currentPrimaries()) {
      node.call("CLUSTER", "SETSLOT", s, "NODE", addedId);
    }
    await()
        .atMost(CHANGE)
        .untilAsserted(
            () ->
                assertThat(proxy.admin("/topology")).contains("\"address\":\"" + added.address()));
    try (RespClient client = RespClient.connect(proxy.address(), Duration.ofSeconds(5))) {
      assertThat(client.call("SET", key, "here")).isEqualTo("OK");
      assertThat(client.call("GET", key)).isEqualTo("here");
    }
    assertThat(added.call("GET", key)).as("the added node holds it").isEqualTo("here");
  }

  @Test
  @Order(4)
  void aTransactionBegunBeforeItsShardsFailoverCommitsOnTheNewPrimary() throws Exception {
    String key = "{tx}counter";
    RedisNode owner = null;
    for (RedisNode primary : cluster.currentPrimaries()) {
      if (!(primary.call("EXISTS", key) instanceof RespValue.Error)) {
        owner = primary;
      }
    }
    assertThat(owner).isNotNull();
    RedisNode replica = cluster.replicaOf(owner);
    assertThat(replica).as("the owner's replica").isNotNull();
    try (RespClient client = RespClient.connect(proxy.address(), Duration.ofSeconds(10))) {
      assertThat(client.call("MULTI")).isEqualTo("OK");
      assertThat(client.call("SET", key, "1")).isEqualTo("QUEUED");
      assertThat(client.call("INCR", key)).isEqualTo("QUEUED");
      assertThat(replica.call("CLUSTER", "FAILOVER")).isEqualTo("OK");
      RedisNode promoted = replica;
      await().atMost(CHANGE).until(() -> cluster.currentPrimaries().contains(promoted));
      assertThat(client.call("INCR", key)).isEqualTo("QUEUED");
      assertThat(client.call("EXEC")).isEqualTo(java.util.List.of("OK", 2L, 3L));
      assertThat(promoted.call("GET", key)).isEqualTo("3");
    }
  }
}
