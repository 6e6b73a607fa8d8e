package io.cairn.server.join;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.cairn.meta.MetaCommand;
import io.cairn.meta.MetaResult;
import io.cairn.meta.tls.BootstrapToken;
import io.cairn.meta.tls.ClusterCa;
import io.cairn.meta.tls.JoinToken;
import io.cairn.meta.tls.NodeCredentials;
import java.io.ByteArrayInputStream;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A new cluster's first nodes admitted with the bootstrap token, and what a joining node accepts. */
class BootstrapAdmissionTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final ClusterCa ca = ClusterCa.create("boot");
    private final BootstrapToken token = BootstrapToken.create();
    private final List<MetaCommand> submitted = new ArrayList<>();

    private NodeAdmission admission(ClusterCa held, Instant now) {
        return new NodeAdmission(ca.certificate(), () -> held, token, c -> {
            submitted.add(c);
            return MetaResult.success(1);
        }, Clock.fixed(now, ZoneOffset.UTC));
    }

    private static NodeAdmission.Outcome ask(NodeAdmission a, String tokenText, String nodeId, KeyPair key, Boolean voter) throws Exception {
        byte[] body = JSON.writeValueAsBytes(new JoinMessages.Request(tokenText, nodeId,
                Base64.getEncoder().encodeToString(key.getPublic().getEncoded()), List.of("127.0.0.1"), voter));
        return a.admit(new ByteArrayInputStream(body), "a test");
    }

    @Test
    void theBootstrapTokenAdmitsTheFirstNodesVotersAmongThemForAnHourAndNothingIsUsedUp() throws Exception {
        Instant made = ca.createdAt();
        assertThat(made).isBetween(Instant.now().minusSeconds(60), Instant.now());
        NodeAdmission early = admission(ca, made.plus(Duration.ofMinutes(59)));

        KeyPair voterKey = ClusterCa.newKeyPair();
        NodeAdmission.Outcome v = ask(early, token.toString(), "nvoter1", voterKey, true);
        assertThat(v.status()).as(v.error()).isEqualTo(200);
        NodeCredentials voter = NodeJoin.accept(v.response(), token, "nvoter1", voterKey);
        assertThat(voter.voter()).isTrue();
        assertThat(voter.caCertificate()).isEqualTo(ca.certificate());

        KeyPair memberKey = ClusterCa.newKeyPair();
        NodeAdmission.Outcome m = ask(early, token.toString(), "nmember", memberKey, null);
        assertThat(m.status()).isEqualTo(200);
        assertThat(NodeJoin.accept(m.response(), token, "nmember", memberKey).voter()).isFalse();
        assertThat(submitted).as("no cluster map is needed, and nothing is used up").isEmpty();

        // Another token, a malformed one, or the right one an hour after the CA was made: refused.
        assertThat(ask(early, BootstrapToken.create().toString(), "nother", memberKey, true).status()).isEqualTo(403);
        assertThat(ask(early, "CAIRN-BOOT-1.short", "nother", memberKey, true).status()).isEqualTo(403);
        NodeAdmission late = admission(ca, made.plus(BootstrapToken.WINDOW));
        NodeAdmission.Outcome refused = ask(late, token.toString(), "nlate", memberKey, true);
        assertThat(refused.status()).isEqualTo(403);
        assertThat(refused.error()).contains("cairn admin node token");
        // A node that does not hold the CA (yet) sends the joiner elsewhere.
        assertThat(ask(admission(null, made), token.toString(), "nother", memberKey, true).status()).isEqualTo(503);
    }

    @Test
    void aVoterFlagCountsOnlyWithTheBootstrapToken() throws Exception {
        NodeAdmission a = admission(ca, Instant.now());
        JoinToken join = JoinToken.create(ca.certificate());
        KeyPair key = ClusterCa.newKeyPair();
        NodeAdmission.Outcome o = ask(a, join.toString(), "njoined", key, true);
        assertThat(o.status()).isEqualTo(200);
        assertThat(o.response().proof()).isNull();
        assertThat(NodeJoin.accept(o.response(), join, "njoined", key).voter()).as("a joining node is never a voter").isFalse();
        assertThat(submitted).singleElement().isInstanceOf(MetaCommand.UseJoinToken.class);
    }

    @Test
    void aJoiningNodeRefusesAnEndpointThatCannotProveItHoldsTheBootstrapToken() throws Exception {
        // An impostor with a CA of its own and another token answers well-formed certificates.
        ClusterCa impostorCa = ClusterCa.create("boot");
        BootstrapToken impostorToken = BootstrapToken.create();
        NodeAdmission impostor = new NodeAdmission(impostorCa.certificate(), () -> impostorCa, impostorToken,
                c -> MetaResult.success(1), Clock.systemUTC());
        KeyPair key = ClusterCa.newKeyPair();
        NodeAdmission.Outcome o = ask(impostor, impostorToken.toString(), "nvictim", key, true);
        assertThat(o.status()).isEqualTo(200);
        assertThatThrownBy(() -> NodeJoin.accept(o.response(), token, "nvictim", key))
                .isInstanceOf(NodeJoin.RefusedException.class).hasMessageContaining("did not prove");
        JoinMessages.Response unproven = new JoinMessages.Response(o.response().ca(), o.response().certificate(), null);
        assertThatThrownBy(() -> NodeJoin.accept(unproven, impostorToken, "nvictim", key)).isInstanceOf(NodeJoin.RefusedException.class);
        assertThat(NodeJoin.accept(o.response(), impostorToken, "nvictim", key).nodeId()).isEqualTo("nvictim");
        assertThatThrownBy(() -> BootstrapToken.parse("CAIRN-JOIN-1.x.y")).isInstanceOf(IllegalArgumentException.class);
        assertThat(BootstrapToken.parse(token.toString()).sameAs(token)).isTrue();
    }
}
