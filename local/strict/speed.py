"""moto's hot spots under a burst, made cheap without changing a single answer.

The account is one Python process on a machine with two cores, so whatever moto spends its CPU
on is time every workflow waits, and it does not scale with the account's time scale. A profile
of the account under `make bench`'s burst (py-spy, 50 stacks posted at once) showed three costs
that are moto's bookkeeping, not anything AWS does or any rule of this account:

- `RequestCertificate`: moto makes a new 2048-bit RSA key for every certificate it signs
  (10 % of the process's CPU), then loads it back from PEM, checking it again. Nothing reads
  that key: edgestack and the data plane only use the certificate's ARN, names and status. One
  key per key size, made once, signs them all, and a PEM key once loaded is kept; each
  certificate keeps its own serial number, names and dates.
- `StartExecution`: moto's Step Functions engine parses the whole state machine definition with
  ANTLR at the start of every execution (12 %). The parse tree of a definition is only read, so
  it is kept per definition text; each execution still gets program components of its own, as
  before (the `Preprocessor` runs every time).
- Each Lambda task of an execution: moto's Step Functions engine makes a new boto3 client to
  call Lambda Invoke (the biggest share of its own CPU in a burst). Clients are thread safe
  (boto3's guide, "Multithreading or multiprocessing with clients"), so one per region, with
  the same settings and a pool as large as the account's concurrency, serves every execution.
- Every request: moto's dispatcher lists its own package directory (about 150 `stat` calls) to
  tell a service name from a host name (4 %). The list is the installed package's: kept once.
- `TransactWriteItems`: moto deep-copies every table a transaction names, whole, to roll back
  (19 % under the burst, and growing with the table). Only the items the transaction names can
  change, so only they are copied, and put back if it fails. moto's copy-and-swap also lost
  the writes other requests made meanwhile, and its conditional writes check and write in two
  steps that another thread can come between; DynamoDB's are atomic, and its transactions
  serializable with the other writes (DynamoDB developer guide, "Amazon DynamoDB Transactions:
  How it works", isolation levels). So every DynamoDB write of the account is made under one
  lock.
"""

from __future__ import annotations

import threading

_installed = False


def install() -> None:
    global _installed
    if _installed:
        return
    _one_key_per_size()
    _parse_each_definition_once()
    _one_lambda_client_per_region()
    _list_moto_modules_once()
    _dynamodb_writes_one_at_a_time()
    _installed = True


def _one_key_per_size() -> None:
    from moto.acm import models

    rsa = models.cryptography.hazmat.primitives.asymmetric.rsa
    generate = rsa.generate_private_key
    keys: dict[tuple, object] = {}
    lock = threading.Lock()

    def generate_private_key(public_exponent, key_size, backend=None):
        with lock:
            key = keys.get((public_exponent, key_size))
            if key is None:
                key = keys[(public_exponent, key_size)] = generate(public_exponent, key_size)
            return key

    # moto.acm.models reaches the function through the module path; only moto's own use of it
    # in this process (ACM's certificates) is affected.
    rsa.generate_private_key = generate_private_key

    validate = models.CertBundle.validate_pk
    loaded: dict[bytes, object] = {}

    def validate_pk(self):
        key = loaded.get(self.key)
        if key is None:
            key = loaded[self.key] = validate(self)  # raises for a bad key, which is not kept
        return key

    models.CertBundle.validate_pk = validate_pk


def _parse_each_definition_once() -> None:
    from antlr4 import CommonTokenStream, InputStream
    from moto.stepfunctions.parser.asl.antlr.runtime.ASLLexer import ASLLexer
    from moto.stepfunctions.parser.asl.antlr.runtime.ASLParser import ASLParser
    from moto.stepfunctions.parser.asl.parse import asl_parser
    from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor

    trees: dict[str, object] = {}
    lock = threading.Lock()

    def parse(definition: str):
        with lock:
            tree = trees.get(definition)
        if tree is None:
            # As moto 5.2.5's AmazonStateLanguageParser.parse does; a definition with syntax
            # errors raises as before and is not kept.
            listener = asl_parser.SyntaxErrorListener()
            parser = ASLParser(CommonTokenStream(ASLLexer(InputStream(definition))))
            parser.removeErrorListeners()
            parser.addErrorListener(listener)
            tree = parser.state_machine()
            if listener.errors:
                raise asl_parser.ASLParserException(errors=listener.errors)
            with lock:
                trees[definition] = tree
        return Preprocessor().visit(tree), tree

    asl_parser.AmazonStateLanguageParser.parse = staticmethod(parse)


def _one_lambda_client_per_region() -> None:
    import boto3
    from botocore.config import Config
    from moto.core.models import botocore_stubber
    from moto.settings import moto_server_port
    from moto.stepfunctions.parser.asl.component.common.timeouts.timeout import TimeoutSeconds
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils

    clients: dict[tuple, object] = {}
    lock = threading.Lock()

    def boto_client_for(region: str, service: str, state_credentials=None):
        # As moto 5.2.5's asl/utils/boto_client.py makes it (its fixed dummy keys, no retries,
        # its timeouts), with a larger pool: executions call Lambda at once.
        endpoint = None if botocore_stubber.enabled else f"http://localhost:{moto_server_port()}"
        key = (region, service, endpoint)
        with lock:
            client = clients.get(key)
            if client is None:
                client = clients[key] = boto3.client(
                    service_name=service, region_name=region, endpoint_url=endpoint,
                    aws_access_key_id="ak", aws_secret_access_key="sk",
                    config=Config(parameter_validation=False,
                                  retries={"max_attempts": 0, "total_max_attempts": 1},
                                  connect_timeout=TimeoutSeconds.DEFAULT_TIMEOUT_SECONDS,
                                  read_timeout=TimeoutSeconds.DEFAULT_TIMEOUT_SECONDS,
                                  max_pool_connections=128))
            return client

    lambda_eval_utils.boto_client_for = boto_client_for


def _list_moto_modules_once() -> None:
    from moto import backends

    modules = tuple(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: modules


def _dynamodb_writes_one_at_a_time() -> None:
    import copy
    import functools
    import types

    from moto.dynamodb import models
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import Table

    lock = threading.RLock()

    def one_at_a_time(write):
        @functools.wraps(write)
        def wrapper(*args, **kwargs):
            with lock:
                return write(*args, **kwargs)
        return wrapper

    for name in ("put_item", "update_item", "delete_item", "batch_write_item"):
        setattr(models.DynamoDBBackend, name, one_at_a_time(getattr(models.DynamoDBBackend, name)))

    # moto 5.2.5's transact_write_items copies each named table with the module's `copy.deepcopy`
    # and, when the transaction fails, puts the copy in the table's place. Handed the table itself
    # instead, that swap changes nothing, and the items the transaction names are put back here.
    deepcopy = copy.deepcopy
    models.copy = types.SimpleNamespace(
        deepcopy=lambda x, memo=None: x if isinstance(x, Table) else deepcopy(x, memo))
    transact = models.DynamoDBBackend.transact_write_items

    def transact_write_items(self, transact_items):
        with lock:
            saved = []
            for entry in transact_items:
                _, op = next(iter(entry.items()))
                table = self.tables.get(op.get("TableName"))
                key = op.get("Item") if "Item" in op else op.get("Key")
                if table is None or not isinstance(key, dict) or table.hash_key_attr not in key:
                    continue
                hash_value = DynamoType(key[table.hash_key_attr])
                range_value = None
                if table.range_key_attr is not None:
                    if table.range_key_attr not in key:
                        continue
                    range_value = DynamoType(key[table.range_key_attr])
                saved.append((table, hash_value, range_value,
                              deepcopy(table.get_item(hash_value, range_value))))
            try:
                return transact(self, transact_items)
            except Exception:
                for table, hash_value, range_value, item in reversed(saved):
                    if item is None:
                        table.delete_item(hash_value, range_value)
                    elif range_value is not None:
                        table.items[hash_value][range_value] = item
                    else:
                        table.items[hash_value] = item
                raise

    models.DynamoDBBackend.transact_write_items = transact_write_items
