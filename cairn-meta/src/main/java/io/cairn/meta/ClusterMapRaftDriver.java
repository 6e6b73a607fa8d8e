package io.cairn.meta;

import java.io.File;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiConsumer;
import org.apache.ratis.io.MD5Hash;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.raftlog.RaftLog;
import org.apache.ratis.server.storage.FileInfo;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.StateMachineStorage;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.statemachine.impl.SimpleStateMachineStorage;
import org.apache.ratis.statemachine.impl.SingleFileSnapshotInfo;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.util.LifeCycle;
import org.apache.ratis.util.MD5FileUtil;

/**
 * Runs {@link ClusterMapStateMachine} inside Ratis: decodes JSON commands from the log, applies
 * them in log order, answers read-only queries with the JSON of the {@link MetaState}, and writes
 * and loads snapshots as one JSON file so the log can be truncated.
 */
final class ClusterMapRaftDriver extends BaseStateMachine {

    /** The read-only query of the whole replicated state. */
    static final String QUERY_STATE = "state";
    /** A backup site's mark alone, without the whole state (read every 500 ms on each of its nodes). */
    static final String QUERY_BACKUP_MARK = "backup-mark";
    /** The backup site this cluster ships to, alone (null JSON for none; read every 2 s on each node). */
    static final String QUERY_BACKUP_TARGET = "backup-target";

    /** Longest reason sent back with a refused command, in characters. */
    static final int REFUSAL_REASON_CHARS_MAX = 300;

    private final SimpleStateMachineStorage storage = new SimpleStateMachineStorage();
    private final ClusterMapStateMachine logic = new ClusterMapStateMachine();
    private final BiConsumer<MetaCommand, MetaResult> onApplied;
    private final BiConsumer<org.apache.ratis.protocol.ClientId, MetaCommand> onReceived;

    /** Guarded by {@code this}, together with the last applied term-index. */
    private MetaState state = MetaState.initial();

    /**
     * A command the leader would not put into the log. Carries no stack trace: Ratis sends it
     * back serialized in a gRPC trailer, which has a small size limit.
     */
    static final class RefusedCommandException extends IOException {
        RefusedCommandException(String message) {
            super(message);
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            return this;
        }
    }

    ClusterMapRaftDriver(BiConsumer<MetaCommand, MetaResult> onApplied) {
        this(onApplied, (client, command) -> { });
    }

    /**
     * @param onApplied  hears of every command as it is applied, on every voter
     * @param onReceived hears of every well-formed command the leader receives, and the client
     *                   that sent it, before it is replicated: a heartbeat proves its sender alive
     *                   even while the log is slow. It refuses a command by throwing
     *                   {@link IllegalArgumentException}; the client is told why.
     */
    ClusterMapRaftDriver(BiConsumer<MetaCommand, MetaResult> onApplied, BiConsumer<org.apache.ratis.protocol.ClientId, MetaCommand> onReceived) {
        this.onApplied = Objects.requireNonNull(onApplied, "onApplied");
        this.onReceived = Objects.requireNonNull(onReceived, "onReceived");
    }

    synchronized MetaState state() {
        return state;
    }

    @Override
    public void initialize(RaftServer server, RaftGroupId groupId, RaftStorage raftStorage) throws IOException {
        getLifeCycle().startAndTransition(() -> {
            super.initialize(server, groupId, raftStorage);
            storage.init(raftStorage);
            load(storage.getLatestSnapshot());
        });
    }

    /** Called before a snapshot from the leader replaces the local state. */
    @Override
    public void pause() {
        if (getLifeCycleState() == LifeCycle.State.RUNNING) {
            getLifeCycle().transition(LifeCycle.State.PAUSING);
            getLifeCycle().transition(LifeCycle.State.PAUSED);
        }
    }

    /** Loads the snapshot just installed from the leader and resumes. */
    @Override
    public void reinitialize() throws IOException {
        load(storage.loadLatestSnapshot());
        if (getLifeCycleState() == LifeCycle.State.PAUSED) {
            getLifeCycle().transition(LifeCycle.State.STARTING);
            getLifeCycle().transition(LifeCycle.State.RUNNING);
        }
    }

    @Override
    public StateMachineStorage getStateMachineStorage() {
        return storage;
    }

    @Override
    public TransactionContext startTransaction(RaftClientRequest request) throws IOException {
        try {
            onReceived.accept(request.getClientId(), MetaJson.read(request.getMessage().getContent().toByteArray(), MetaCommand.class));
        } catch (IllegalArgumentException e) {
            // Sent back to the client inside a gRPC trailer: keep it short and free of causes.
            String reason = String.valueOf(e.getMessage());
            if (reason.length() > REFUSAL_REASON_CHARS_MAX) {
                reason = reason.substring(0, REFUSAL_REASON_CHARS_MAX) + "...";
            }
            throw new RefusedCommandException("refused meta command: " + reason);
        }
        return super.startTransaction(request);
    }

    @Override
    public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
        LogEntryProto entry = trx.getLogEntry();
        byte[] data = entry.getStateMachineLogEntry().getLogData().toByteArray();
        MetaCommand command;
        try {
            command = MetaJson.read(data, MetaCommand.class);
        } catch (IllegalArgumentException e) {
            command = null;
        }
        MetaResult result;
        synchronized (this) {
            if (command == null) {
                result = MetaResult.failure(MetaResult.BAD_COMMAND, state.map().epoch());
            } else {
                ClusterMapStateMachine.Applied applied = logic.apply(state, command);
                result = applied.result();
                // Observers (the failure detector) hear of a command before anyone can read the
                // state it made: whoever sees a node up again also sees the registration or
                // heartbeat that brought it back, and does not mark it down on a stale heartbeat.
                onApplied.accept(command, result);
                state = applied.state();
            }
            updateLastAppliedTermIndex(entry.getTerm(), entry.getIndex());
        }
        return CompletableFuture.completedFuture(Message.valueOf(ByteString.copyFrom(MetaJson.write(result))));
    }

    @Override
    public synchronized void notifyTermIndexUpdated(long term, long index) {
        super.notifyTermIndexUpdated(term, index);
    }

    @Override
    public CompletableFuture<Message> query(Message request) {
        String query = request.getContent().toStringUtf8();
        Object answer;
        switch (query) {
            // The sealed CA key stays on the voters: no caller of a query, voter or not, is sent it.
            case QUERY_STATE -> answer = state().forMembers();
            case QUERY_BACKUP_MARK -> answer = state().backupMark();
            case QUERY_BACKUP_TARGET -> answer = state().backupTarget(); // null: none
            default -> {
                return CompletableFuture.failedFuture(new IllegalArgumentException("unknown meta query '" + query + "' (expected '"
                        + QUERY_STATE + "', '" + QUERY_BACKUP_MARK + "' or '" + QUERY_BACKUP_TARGET + "')"));
            }
        }
        return CompletableFuture.completedFuture(Message.valueOf(ByteString.copyFrom(MetaJson.write(answer))));
    }

    @Override
    public long takeSnapshot() throws IOException {
        MetaState snapshotState;
        TermIndex applied;
        synchronized (this) {
            snapshotState = state;
            applied = getLastAppliedTermIndex();
        }
        if (applied == null || applied.getIndex() < 0) {
            return RaftLog.INVALID_LOG_INDEX;
        }
        File file = storage.getSnapshotFile(applied.getTerm(), applied.getIndex());
        Path target = file.toPath();
        Path temp = target.resolveSibling(target.getFileName() + ".tmp");
        Files.write(temp, MetaJson.write(snapshotState));
        try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
            channel.force(true);
        }
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        MD5Hash md5 = MD5FileUtil.computeAndSaveMd5ForFile(file);
        storage.updateLatestSnapshot(new SingleFileSnapshotInfo(new FileInfo(target, md5), applied));
        LOG.info("{}: meta snapshot at {} (epoch {})", getId(), applied, snapshotState.map().epoch());
        return applied.getIndex();
    }

    private void load(SingleFileSnapshotInfo snapshot) throws IOException {
        if (snapshot == null) {
            return;
        }
        Path path = snapshot.getFile().getPath();
        if (!Files.exists(path)) {
            throw new IOException("meta snapshot file missing: " + path);
        }
        MD5Hash md5 = snapshot.getFile().getFileDigest();
        if (md5 != null) {
            MD5FileUtil.verifySavedMD5(path.toFile(), md5);
        }
        TermIndex last = SimpleStateMachineStorage.getTermIndexFromSnapshotFile(path.toFile());
        MetaState loaded;
        try {
            loaded = MetaJson.read(Files.readAllBytes(path), MetaState.class);
        } catch (IllegalArgumentException e) {
            throw new IOException("corrupt meta snapshot " + path + ": " + e.getMessage(), e);
        }
        synchronized (this) {
            state = loaded;
            setLastAppliedTermIndex(last);
        }
        LOG.info("{}: loaded meta snapshot {} (epoch {})", getId(), last, loaded.map().epoch());
    }
}
