# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one frame for every resource a module converges, one item (``name``) or many (a list).

A resource (containers, images, swarm nodes, ...) supplies:

- :class:`ItemForm`: the argument spec of one item, written once with its defaults. The
  module's spec is derived from it (the defaults apply at the top level); items of the list
  take the same options without defaults, because they inherit the top level.
- a :class:`Resource` with ``prepare`` (items -> what is wanted, every check made),
  ``read`` (what the engine has), ``plan`` (pure: wanted + current -> :class:`Plan`) and
  ``apply`` (carry a plan out).

:func:`converge` runs them in phases so that bad input changes nothing: every item, sub-options
included, is validated and prepared before the first read; reads and plans come next; a
resource may refuse the whole set of plans (``check``, for rules across items such as swarm
quorum); then plans are applied, ``parallel`` at a time where the resource allows it. One
item's failure never discards the others' results: the task fails naming each failed item,
with ``changed`` true when anything changed.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import decimal
import re
import traceback

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.dockhand.docker.plugins.module_utils.diff import ChangeSet
from ansible_collections.dockhand.docker.plugins.module_utils.errors import DockhandError, InvalidValue
from ansible_collections.dockhand.docker.plugins.module_utils.plan import checked_plan
from ansible_collections.dockhand.docker.plugins.module_utils.units import short_repr

DEFAULT_PARALLEL = 4
UNCHANGED = 'unchanged'
FAILED = 'failed'

# ansible-core's wording for an unknown key: "build.typo. Supported parameters include: a, b."
_UNSUPPORTED = re.compile(r'^(?P<key>.+?)\. Supported parameters include: (?P<known>.*?)\.?\Z', re.DOTALL)


def _checkable_int(value):
    # ansible-core converts through Decimal: 'inf' raises OverflowError instead of a refusal,
    # '1e999999999' would build an integer of a billion digits, and a list of three is read as
    # Decimal's (sign, digits, exponent). Such values fail its check cleanly as text.
    if isinstance(value, (bool, int)) or value is None:
        return value
    if not isinstance(value, (str, float)):
        return '%s (not a whole number)' % short_repr(value)
    try:
        number = decimal.Decimal(value.strip() if isinstance(value, str) else value)
    except (decimal.DecimalException, ValueError, TypeError):
        return value
    if not number.is_finite() or number.adjusted() > 100:
        return '%s (not a whole number)' % value
    return value


def _checkable_options(value, options):
    # ansible-core looks into a value with sub-options before it has refused its type: an
    # integer, or None in a list, makes it raise TypeError. As text it is refused cleanly.
    if isinstance(value, dict):
        return checkable(value, options)
    return value if isinstance(value, str) else str(value)


def checkable(params, spec):
    """``params`` made safe for ansible-core's checks against the argument ``spec``.

    ansible-core's own validation raises on some values instead of refusing them (an infinite
    or absurdly large number for an integer, a number where sub-options are expected); this
    gives those values a form it refuses with its usual one-line message. Other values are
    left as they are: the module's own checks refuse them (a NaN in daemon.json settings).
    """
    if not isinstance(params, dict):
        return params
    checked = dict(params)
    for name, entry in spec.items():
        value = checked.get(name)
        if value is None:
            continue
        kind, elements, options = entry.get('type'), entry.get('elements'), entry.get('options')
        if kind == 'int':
            checked[name] = _checkable_int(value)
        elif kind == 'list' and isinstance(value, list) and (elements == 'int' or options):
            checked[name] = [_checkable_int(item) if elements == 'int' else _checkable_options(item, options)
                             for item in value]
        elif kind == 'dict' and options:
            checked[name] = _checkable_options(value, options)
    return checked


def _without_defaults(spec):
    """A copy of an argument spec whose top-level entries have no ``default``."""
    return dict((key, dict((name, value) for name, value in entry.items() if name != 'default'))
                for key, entry in spec.items())


def spec_defaults(spec):
    """{option: default} of the top-level entries of an argument spec that have one."""
    return dict((key, copy.deepcopy(entry['default'])) for key, entry in spec.items() if 'default' in entry)


def check_keys(where, value, known):
    """Refuse a dictionary ``value`` with keys outside ``known`` (a typo must not be dropped silently)."""
    if not isinstance(value, dict):
        raise InvalidValue('%s: %s must be a dictionary with the keys %s'
                           % (where, _shown(value), ', '.join(sorted(known))))
    unknown = sorted(str(key) for key in value if key not in known)
    if unknown:
        raise InvalidValue('%s: unknown key%s %s; known keys: %s'
                           % (where, 's' if len(unknown) > 1 else '', ', '.join(unknown), ', '.join(sorted(known))))
    return value


def _shown(value):
    text = short_repr(value)
    return text if len(text) <= 80 else text[:77] + '...'


def validated_options(raw, spec, label):
    """``raw`` checked against the argument ``spec`` (types converted, sub-options checked).

    Raises :class:`InvalidValue` naming ``label`` for anything but a dict, an option (or a
    sub-option) the spec lacks, with the known ones, or a value it refuses.
    """
    if not isinstance(raw, dict):
        raise InvalidValue('%s: each item must be a dictionary of options, not %s' % (label, _shown(raw)))
    for key in raw:
        if not isinstance(key, str):
            raise InvalidValue('%s: option names are strings, not %s' % (label, _shown(key)))
    unknown = sorted(set(raw) - set(spec))
    if unknown:
        raise InvalidValue('%s: unknown option(s) %s; the options are: %s'
                           % (label, ', '.join(unknown), ', '.join(sorted(spec))))
    result = ArgumentSpecValidator(spec).validate(checkable(raw, spec))
    if result.error_messages:
        message = ' '.join(str(result.error_messages[0]).split())
        unsupported = _UNSUPPORTED.match(message)
        if unsupported:
            message = 'unknown option %s; known there: %s' % (unsupported.group('key'), unsupported.group('known'))
        raise InvalidValue('%s: %s' % (label, message))
    return result.validated_parameters


class ItemForm(object):
    """The one-item-or-many form of a resource: ``name`` alone, or a list under ``list_key``.

    ``spec`` is the argument spec of one item with the defaults the top level has; options of
    the module itself that items do not take (``parallel``, ``force``) are in ``module_only``.
    """

    def __init__(self, spec, list_key, singular, module_only=None, result_key=None, name_key='name'):
        self.spec = spec
        self.list_key = list_key
        self.singular = singular
        self.result_key = result_key or list_key
        self.name_key = name_key
        self.module_only = module_only or {}
        self.item_spec = _without_defaults(spec)
        self.defaults = spec_defaults(spec)

    def module_spec(self):
        """The module's argument spec: the item options (with defaults), the list, the module's own."""
        spec = copy.deepcopy(self.spec)
        spec[self.list_key] = dict(type='list', elements='dict')
        spec.update(copy.deepcopy(self.module_only))
        return spec

    def module_kwargs(self, **extra):
        """AnsibleModule keyword arguments: ``name`` or the list, exactly one of them."""
        kwargs = dict(argument_spec=self.module_spec(), supports_check_mode=True,
                      mutually_exclusive=[(self.name_key, self.list_key)],
                      required_one_of=[(self.name_key, self.list_key)])
        kwargs.update(extra)
        return kwargs

    def items(self, params):
        """[(label, item)]: each entry of the list over the top-level options, or the top level alone.

        ``params`` are a module's parameters (defaults already applied). Every item is checked
        against the item spec, needs a name, and names are unique; the first problem raises
        :class:`InvalidValue` naming the item.
        """
        top = dict((key, params.get(key)) for key in self.spec)
        if params.get(self.list_key) is None:
            return [(top[self.name_key], top)]
        if not isinstance(params[self.list_key], list):
            raise InvalidValue('%s must be a list of dictionaries' % self.list_key)
        merged, seen = [], {}
        for index, raw in enumerate(params[self.list_key]):
            label = '%s[%d]' % (self.list_key, index)
            checked = validated_options(raw, self.item_spec, label)
            item = dict(top)
            item.update((key, value) for key, value in checked.items() if value is not None)
            name = item.get(self.name_key)
            if not name:
                raise InvalidValue('%s: every item needs a %s' % (label, self.name_key))
            if name in seen:
                raise InvalidValue('%s: the %s %s is used twice in %s (also by %s[%d])'
                                   % (label, self.name_key, short_repr(name), self.list_key, self.list_key,
                                      seen[name]))
            seen[name] = index
            merged.append((name, item))
        return merged

    def items_of_list(self, entries, **top):
        """:meth:`items` for a bare list (a preflight plan): the spec's defaults are the top level."""
        params = dict(self.defaults, **top)
        params[self.list_key] = entries
        return self.items(params)


class Plan(object):
    """What is to be done to one item: ``action`` (``unchanged`` when nothing), the differences
    (:class:`ChangeSet`, for diff mode) and ``body`` (what ``apply`` needs, e.g. an API body)."""

    def __init__(self, name, action=UNCHANGED, changes=None, body=None, wanted=None, current=None):
        self.name = name
        self.action = action
        self.changes = changes if changes is not None else ChangeSet()
        self.body = body
        self.wanted = wanted
        self.current = current

    @property
    def changed(self):
        return self.action != UNCHANGED


class Resource(object):
    """What the frame needs from a resource; subclasses override the steps they have."""

    form = None                 # the resource's ItemForm
    parallel_apply = True       # items may be worked on at the same time
    all_or_nothing = False      # one item failing to read or plan stops every change
    sequential = False          # each item read, planned and applied before the next is read

    def __init__(self, client, check_mode, diff=False, parallel=DEFAULT_PARALLEL):
        self.client = client
        self.check_mode = check_mode
        self.diff = diff
        self.parallel = max(1, parallel or 1)

    def prepare(self, items):
        """[(label, item)] -> the wanted objects (each with ``name``); raise InvalidValue for bad input."""
        raise NotImplementedError

    def read_all(self, wanted):
        """What the engine has, one per wanted object (by default :meth:`read` for each, in parallel)."""
        return self.map(self.read, wanted)

    def read(self, wanted):
        raise NotImplementedError

    def plan(self, wanted, current):
        """A :class:`Plan` from what is wanted and what is there; changes nothing."""
        raise NotImplementedError

    def check(self, plans):
        """Refuse a set of plans that is unsafe as a whole (raise InvalidValue); changes nothing."""

    def order(self, plans):
        """The order in which plans are applied."""
        return plans

    def apply(self, plan):
        """Carry ``plan`` out; return extra result keys (e.g. a new ID)."""
        raise NotImplementedError

    def result(self, plan):
        """The result of one item; resources add their own keys."""
        result = dict(name=plan.name, action=plan.action, changed=plan.changed, changes=plan.changes.keys())
        if self.diff and plan.changes:
            result['diff'] = plan.changes.as_diff(plan.name)
        return result

    def map(self, func, values):
        """``[func(value)]``, up to ``parallel`` at a time."""
        values = list(values)
        if len(values) < 2 or self.parallel == 1:
            return [func(value) for value in values]
        # Imported here: most runs (engine_info's plans on every host) have one item or none.
        from concurrent.futures import ThreadPoolExecutor
        with ThreadPoolExecutor(max_workers=min(self.parallel, len(values))) as pool:
            return list(pool.map(func, values))


def _failure_of(exc):
    if isinstance(exc, DockhandError):
        return exc.msg
    # A bug must still not cost the other items their results: one line, and the traceback kept.
    return 'unexpected %s: %s (a bug in dockhand.docker; please report it)' % (
        type(exc).__name__, ' '.join(str(exc).split())[:300])


def _failed_result(name, exc, changed):
    result = dict(name=name, action=FAILED, changed=changed, failed=True, msg=_failure_of(exc))
    if not isinstance(exc, DockhandError):
        result['traceback_text'] = ''.join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return result


def converge(resource, params):
    """Validate, prepare, read, plan, check and apply every item; return the item results in order."""
    wanted = resource.prepare(resource.form.items(params))
    return run_plans(resource, wanted)


def run_plans(resource, wanted):
    """Phases after prepare: read and plan (in parallel), check the set, apply in order.

    A ``sequential`` resource reads, plans and applies one item before it reads the next (an
    image may be built FROM the one before it).
    """
    def read_and_plan(one):
        try:
            return resource.plan(one, resource.read(one)), None
        except Exception as exc:  # pylint: disable=broad-except
            return None, exc

    if resource.sequential:
        results = []
        for one in wanted:
            plan, exc = read_and_plan(one)
            if plan is None:
                results.append(_failed_result(one.name, exc, changed=False))
                continue
            results.append(_applied(resource, plan))
        return results

    if type(resource).read_all is Resource.read_all:
        planned = resource.map(read_and_plan, wanted)
    else:
        currents = resource.read_all(wanted)
        planned = []
        for one, current in zip(wanted, currents):
            try:
                planned.append((resource.plan(one, current), None))
            except Exception as exc:  # pylint: disable=broad-except
                planned.append((None, exc))
    failures = [exc for _plan, exc in planned if exc is not None]
    if failures and resource.all_or_nothing:
        raise failures[0] if isinstance(failures[0], DockhandError) else InvalidValue(_failure_of(failures[0]))
    plans = [plan for plan, _exc in planned if plan is not None]
    resource.check(plans)

    outcome = {}

    def apply_one(plan):
        outcome[id(plan)] = _applied(resource, plan)

    ordered = resource.order(plans)
    if resource.parallel_apply:
        resource.map(apply_one, ordered)
    else:
        for plan in ordered:
            apply_one(plan)
    results = []
    for one, (plan, exc) in zip(wanted, planned):
        results.append(outcome[id(plan)] if plan is not None else _failed_result(one.name, exc, changed=False))
    return results


def _applied(resource, plan):
    """The result of one plan, carried out unless in check mode (a failure becomes a failed result)."""
    try:
        extra = resource.apply(plan) if plan.changed and not resource.check_mode else None
        result = resource.result(plan)
        result.update(extra or {})
    except Exception as exc:  # pylint: disable=broad-except
        result = _failed_result(plan.name, exc, changed=not resource.check_mode)
        result.update((key, value) for key, value in getattr(exc, 'details', {}).items() if value is not None)
    return result


def module_result(module, form, results, single_at_top=False):
    """The task's result: ``changed``, every item's result, the one item's under ``singular`` when
    ``name`` was given (and its keys at the top level too with ``single_at_top``), diffs, warnings;
    fails naming each failed item."""
    for result in results:
        for warning in result.pop('warnings', ()):
            module.warn('%s: %s' % (result['name'], warning))
    for result in results:
        if 'traceback_text' in result:
            text = result.pop('traceback_text')
            if module._verbosity >= 3:
                result['traceback_text'] = text
    output = dict(changed=any(result.get('changed') for result in results))
    output[form.result_key] = results
    if module.params.get(form.name_key) is not None and len(results) == 1:
        if single_at_top:
            output.update((key, value) for key, value in results[0].items() if key not in ('failed', 'msg'))
        output[form.singular] = results[0]
    if module._diff:
        output['diff'] = [result['diff'] for result in results if 'diff' in result]
    failed = [result for result in results if result.get('failed')]
    if failed:
        module.fail_json(msg='; '.join('%s: %s' % (result['name'], result['msg']) for result in failed), **output)
    return output


def preflight_plan(resource, entries, summary, **top):
    """What the module of ``resource`` (made in check mode) would do with ``entries`` as its list.

    For engine_info's plan_* options (see :mod:`plan`): the module's own code runs and changes
    nothing. ``summary(results)`` gives the plan's fields besides ``in_sync``, which is true
    only when every item would stay unchanged with no warning to give.
    """
    def work():
        results = run_plans(resource, resource.prepare(resource.form.items_of_list(entries, **top)))
        failed = [result for result in results if result.get('failed')]
        fields = summary([result for result in results if not result.get('failed')])
        fields.update(
            in_sync=not failed and all(not result['changed'] and not result.get('warnings') for result in results),
            error='; '.join('%s: %s' % (result['name'], result['msg']) for result in failed) or None)
        return fields
    return checked_plan(entries, 'items_digest', work, **summary([]))
