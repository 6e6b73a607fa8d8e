package io.cairn.testkit.sim;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.core.partition.PartitionId;
import io.cairn.core.partition.Version;
import io.cairn.protocol.Effect;
import io.cairn.protocol.Event;
import io.cairn.protocol.LogRecord;
import io.cairn.protocol.Reply;
import io.cairn.protocol.ReplicaConfig;
import io.cairn.protocol.ReplicaStateMachine;
import io.cairn.protocol.Request;
import io.cairn.protocol.Status;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Drives one real replica step by step for a test: runs its store operations at once, and keeps
 * its calls (and its answers to requests) for the test to look at and answer.
 */
final class StepDriver {

    /** Heartbeat interval of the driven replica. */
    static final long HEARTBEAT_MILLIS = 500;

    final ReplicaStateMachine machine;
    final SimStore store;
    final Deque<Effect.Send> calls = new ArrayDeque<>();
    final List<Effect.Respond> answers = new ArrayList<>();
    /** Every other effect (to the meta service, to the backup site, notes), in order. */
    final List<Effect> others = new ArrayList<>();
    long now = 0;
    private long nextRequest = 1;

    StepDriver(String self) {
        this(self, new ReplicaConfig(1L << 30, HEARTBEAT_MILLIS, 2_000, 1 << 20, 1 << 20, 1_000, 1, 1_000, 5_000, 2, 3), null);
    }

    /** A replica with {@code config}, whose store starts as {@code store} (a node that started again), or empty. */
    StepDriver(String self, ReplicaConfig config, SimStore store) {
        this.store = store == null ? new SimStore(new SimStore.Disk(1L << 30)) : store;
        machine = new ReplicaStateMachine(self, config, this.store, Simulation.PLACEMENT, 0, 1);
    }

    void handle(Event event) {
        Deque<Event> events = new ArrayDeque<>(List.of(event));
        while (!events.isEmpty()) {
            for (Effect e : machine.handle(events.poll(), now)) {
                switch (e) {
                    case Effect.Store s -> events.add(new Event.StoreDone(s.token(), store.run(s.op())));
                    case Effect.Send s -> calls.add(s);
                    case Effect.Respond r -> answers.add(r);
                    default -> others.add(e);
                }
            }
        }
    }

    /** Answers the oldest log pull this replica sent, from a source whose copy is not known to hold every acknowledged write. */
    void answerPull(long epoch, List<LogRecord> records, Version last, boolean unsettled) {
        answerPull(epoch, records, last, unsettled, false);
    }

    /** Answers the oldest log pull this replica sent; {@code intact}: the source's copy holds every acknowledged write. */
    void answerPull(long epoch, List<LogRecord> records, Version last, boolean unsettled, boolean intact) {
        Effect.Send pull = null;
        while (!calls.isEmpty()) {
            Effect.Send s = calls.poll();
            if (s.request() instanceof Request.Since) {
                pull = s;
                break;
            }
        }
        assertThat(pull).as("a log pull to answer").isNotNull();
        handle(new Event.Answered(pull.call(), new Reply.SinceReply(Status.OK, epoch, "", records, last, false, unsettled, null, intact)));
    }

    /** The request {@code request} as if it arrived from a peer, and this replica's answer to it (if it answered at once). */
    Reply ask(Request request) {
        return answerTo(receive(request));
    }

    /** The request {@code request} as if it arrived from a peer; its id, by which {@link #answerTo} finds the answer later. */
    long receive(Request request) {
        long id = nextRequest++;
        handle(new Event.Received(id, request));
        return id;
    }

    /** This replica's answer to request {@code id}, or null while it has given none. */
    Reply answerTo(long id) {
        return answers.stream().filter(r -> r.request() == id).map(Effect.Respond::reply).findFirst().orElse(null);
    }

    Reply.GetReply settledGet(PartitionId p, long epoch, String key) {
        return (Reply.GetReply) ask(new Request.Get(epoch, p, key, false, true, 0, true));
    }

    void tick(long millis) {
        now += millis;
        handle(new Event.Tick());
    }
}
