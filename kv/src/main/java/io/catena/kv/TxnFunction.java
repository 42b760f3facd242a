package io.catena.kv;

/**
 * The body of a transaction: a plain function of the transaction. It may run several times (the runner retries on
 * conflicts), so it must not have side effects outside the transaction.
 *
 * @param <X> the transaction type
 * @param <T> the result type
 */
@FunctionalInterface
public interface TxnFunction<X extends ReadTransaction, T> {
  T apply(X txn);
}
