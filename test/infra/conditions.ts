/**
 * What CloudFormation makes of a template's Conditions for given Parameter values: every Fn::If
 * replaced by its chosen branch, AWS::NoValue removed, resources and outputs whose Condition is false
 * left out. Refs stay Refs: the tests check that values reach their users through the Parameter.
 * Covers the condition functions CloudFormation has (Fn::Equals, Not, And, Or, Condition), and the
 * string functions Fn::Equals may apply to a value (Fn::Join, Fn::Split, Fn::Select).
 */
type Obj = Record<string, unknown>

interface Conditional {
  Parameters?: Record<string, Obj>
  Conditions?: Obj
  Resources: Record<string, Obj>
  Outputs?: Record<string, Obj>
}

const NO_VALUE = Symbol('AWS::NoValue')

const isObj = (value: unknown): value is Obj =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/** The template deployed with the Parameters' Defaults, `values` taking precedence. */
export function deployedWith<T extends { Resources: object }>(
  packaged: T,
  values: Record<string, string> = {},
): T {
  const template = packaged as unknown as Conditional
  const parameter = (name: string): string => {
    if (name in values) return values[name]!
    const fallback = template.Parameters?.[name]?.Default
    if (fallback === undefined) throw new Error(`Parameter ${name} has no value and no Default`)
    return String(fallback)
  }
  const scalar = (value: unknown): unknown => {
    if (isObj(value) && typeof value.Ref === 'string') return parameter(value.Ref)
    if (isObj(value) && 'Condition' in value) return condition(String(value.Condition))
    if (isObj(value) && 'Fn::Join' in value) {
      const [separator, items] = value['Fn::Join'] as [string, unknown[]]
      return items.map((item) => String(scalar(item))).join(separator)
    }
    if (isObj(value) && 'Fn::Split' in value) {
      const [separator, text] = value['Fn::Split'] as [string, unknown]
      return String(scalar(text)).split(separator)
    }
    if (isObj(value) && 'Fn::Select' in value) {
      const [index, from] = value['Fn::Select'] as [unknown, unknown]
      const items = (Array.isArray(from) ? from.map(scalar) : scalar(from)) as unknown[]
      // CloudFormation fails the stack on an index out of bounds.
      if (!(Number(index) < items.length)) throw new Error(`Fn::Select index ${index} of ${items.length}`)
      return items[Number(index)]
    }
    if (isObj(value) || Array.isArray(value)) return holds(value)
    return value
  }
  const holds = (expression: unknown): boolean => {
    const [name, args] = Object.entries(expression as Obj)[0] ?? []
    const list = args as unknown[]
    if (name === 'Fn::Equals') return String(scalar(list[0])) === String(scalar(list[1]))
    if (name === 'Fn::Not') return !holds(list[0])
    if (name === 'Fn::And') return list.every((item) => scalar(item) === true)
    if (name === 'Fn::Or') return list.some((item) => scalar(item) === true)
    if (name === 'Condition') return condition(String(args))
    throw new Error(`not a condition: ${JSON.stringify(expression)}`)
  }
  const condition = (name: string): boolean => {
    const expression = template.Conditions?.[name]
    if (expression === undefined) throw new Error(`no Condition ${name}`)
    return holds(expression)
  }
  const resolve = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(resolve).filter((item) => item !== NO_VALUE)
    if (!isObj(node)) return node
    if (node.Ref === 'AWS::NoValue') return NO_VALUE
    if ('Fn::If' in node) {
      const [name, yes, no] = node['Fn::If'] as [string, unknown, unknown]
      return resolve(condition(name) ? yes : no)
    }
    const entries = Object.entries(node).map(([key, value]) => [key, resolve(value)] as const)
    return Object.fromEntries(entries.filter(([, value]) => value !== NO_VALUE))
  }
  const kept = (entries: Record<string, Obj>) =>
    Object.fromEntries(
      Object.entries(entries)
        .filter(([, entry]) => typeof entry.Condition !== 'string' || condition(entry.Condition))
        .map(([id, entry]) => [id, resolve(entry)]),
    )
  return {
    ...packaged,
    Resources: kept(template.Resources),
    ...(template.Outputs ? { Outputs: kept(template.Outputs) } : {}),
  }
}
