package io.cairn.meta;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;

/**
 * How the meta voters' Raft group is named: the group id comes from the cluster name and each
 * voter's peer id from its address, so every node computes the same group from the same list.
 */
final class MetaGroup {

    /** Most meta voters a cluster may have. */
    static final int VOTERS_MAX = 7;

    private MetaGroup() {
    }

    static RaftGroupId groupId(String clusterName) {
        requireClusterName(clusterName);
        return RaftGroupId.valueOf(UUID.nameUUIDFromBytes(("cairn-meta:" + clusterName).getBytes(StandardCharsets.UTF_8)));
    }

    /** {@code 127.0.0.1:7101} becomes {@code m_127_0_0_1_7101}. */
    static RaftPeerId peerId(String address) {
        requireAddress(address);
        return RaftPeerId.valueOf("m_" + address.replaceAll("[^A-Za-z0-9]", "_"));
    }

    static RaftPeer peer(String address) {
        return RaftPeer.newBuilder().setId(peerId(address)).setAddress(address).build();
    }

    static RaftGroup group(String clusterName, List<String> voterAddresses) {
        requireVoters(voterAddresses);
        List<RaftPeer> peers = new ArrayList<>(voterAddresses.size());
        for (String address : voterAddresses) {
            peers.add(peer(address));
        }
        return RaftGroup.valueOf(groupId(clusterName), peers);
    }

    static void requireClusterName(String clusterName) {
        Objects.requireNonNull(clusterName, "clusterName");
        if (clusterName.isBlank() || clusterName.length() > MetaCommand.NAME_LENGTH_MAX) {
            throw new IllegalArgumentException("cluster name must be 1.." + MetaCommand.NAME_LENGTH_MAX + " non-blank characters: '" + clusterName + "'");
        }
    }

    static void requireVoters(List<String> voterAddresses) {
        Objects.requireNonNull(voterAddresses, "voterAddresses");
        if (voterAddresses.isEmpty() || voterAddresses.size() > VOTERS_MAX) {
            throw new IllegalArgumentException("need 1.." + VOTERS_MAX + " meta voter addresses: " + voterAddresses);
        }
        Set<String> seen = new HashSet<>();
        for (String address : voterAddresses) {
            requireAddress(address);
            if (!seen.add(address)) {
                throw new IllegalArgumentException("duplicate meta voter address: " + address);
            }
        }
    }

    /** Checks {@code host:port} (port 1..65535); returns the port. */
    static int requireAddress(String address) {
        Objects.requireNonNull(address, "address");
        int colon = address.lastIndexOf(':');
        if (colon <= 0 || colon == address.length() - 1) {
            throw new IllegalArgumentException("meta address must be host:port: '" + address + "'");
        }
        int port;
        try {
            port = Integer.parseInt(address.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("meta address has a bad port: '" + address + "'", e);
        }
        if (port < 1 || port > 65_535) {
            throw new IllegalArgumentException("meta address port must be 1..65535: '" + address + "'");
        }
        return port;
    }

    static String host(String address) {
        requireAddress(address);
        return address.substring(0, address.lastIndexOf(':'));
    }
}
