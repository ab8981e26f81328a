--[[
formats.lua: format-specific handling for the offline (pandoc) path.

* `::: {.content-visible when-format="html"}` / `.content-hidden` divs (Quarto syntax) are kept
  or dropped per output format, so one source serves HTML and PDF (and Quarto).
* `::: {.titlepage}` is dropped: the pandoc templates draw the title page from metadata
  (the div exists for the Quarto path).
* `::: {.appendices}` switches heading numbering to "Bijlage A, B, ...".
* HTML: headings are numbered here (1, 1.1, ...; Bijlage A, A.1, ...); `.unnumbered` is skipped.
* Appendices number their figures and tables per appendix (A.1, B.1, ...; HTML: crossref.lua).
* `::: {.provenance}` (the "Berekend met" line) is set ragged-right and small.
* Typst: tables of at most 15 rows are kept on one page (no orphaned caption or row); a
  longer table starts on a new page when fewer than a few rows would fit under its caption.
* Typst: image paths become root-relative ("/_generated/figures/x.png"); Typst resolves them
  against the compile root (the reports folder).
]]

local function is_typst() return FORMAT:match("typst") ~= nil end
local function letters(n) return string.char(64 + n) end
local function is_html() return FORMAT:match("html") ~= nil end

local function format_matches(spec)
  if not spec or spec == "" then return true end
  for f in spec:gmatch("[^%s,]+") do
    if (f == "html" and is_html()) or ((f == "typst" or f == "pdf") and is_typst()) then
      return true
    end
  end
  return false
end

local APPENDIX_TYPST = [[
#counter(heading).update(0)
#set heading(numbering: (..nums) => {
  let n = nums.pos()
  if n.len() == 1 { "Bijlage " + numbering("A", ..n) } else { numbering("A.1", ..n) }
}, supplement: [Bijlage])
]]

local function visible(el)
  if el.classes:includes("content-visible") then
    return format_matches(el.attributes["when-format"])
  elseif el.classes:includes("content-hidden") then
    return not format_matches(el.attributes["when-format"])
  end
  return true
end

local function filter_divs(blocks)
  return blocks:walk({
    Div = function(el)
      if el.classes:includes("titlepage") then return {} end
      if not visible(el) then return {} end
      if el.classes:includes("content-visible") or el.classes:includes("content-hidden") then
        return el.content
      end
      if el.classes:includes("appendices") then
        local out = pandoc.List()
        if is_typst() then out:insert(pandoc.RawBlock("typst", APPENDIX_TYPST)) end
        out:insert(pandoc.Div({}, pandoc.Attr("", { "appendix-start" })))
        out:extend(el.content)
        return out
      end
    end,
  })
end

local function number_html_headings(blocks)
  local c = { 0, 0, 0, 0, 0, 0 }
  local appendix = false
  local out = pandoc.List()
  for _, b in ipairs(blocks) do
    if b.t == "Div" and b.classes:includes("appendix-start") then
      appendix = true
      c = { 0, 0, 0, 0, 0, 0 }
    elseif b.t == "Header" and not b.classes:includes("unnumbered") and b.level <= 3 then
      c[b.level] = c[b.level] + 1
      for i = b.level + 1, 6 do c[i] = 0 end
      local parts = {}
      for i = 1, b.level do
        parts[i] = (i == 1 and appendix) and letters(c[1]) or tostring(c[i])
      end
      local num = table.concat(parts, ".")
      if appendix and b.level == 1 then num = "Bijlage " .. num end
      local span = pandoc.Span({ pandoc.Str(num) }, pandoc.Attr("", { "header-section-number" }))
      local content = pandoc.List({ span, pandoc.Space() })
      content:extend(b.content)
      b.content = content
    end
    out:insert(b)
  end
  return out
end

-- Typst: every appendix numbers its figures and tables in its own series (B.1, B.2, ...),
-- like crossref.lua does for HTML; a reference uses the numbering stored with the figure.
local function typst_appendix_numbering(blocks)
  local out, appendix, letter = pandoc.List(), false, 0
  for _, b in ipairs(blocks) do
    if b.t == "Div" and b.classes:includes("appendix-start") then
      appendix = true
    elseif appendix and b.t == "Header" and b.level == 1 and not b.classes:includes("unnumbered") then
      letter = letter + 1
      local l = letters(letter)
      out:insert(pandoc.RawBlock("typst", table.concat({
        "#counter(figure.where(kind: table)).update(0)",
        "#counter(figure.where(kind: image)).update(0)",
        '#set figure(numbering: n => "' .. l .. '." + str(n))' }, "\n")))
    end
    out:insert(b)
  end
  return out
end

-- The provenance line under an artefact ("Berekend met ...") is set ragged-right and small:
-- justified, its long code spans would be spread with wide gaps.
local function provenance(blocks)
  return blocks:walk({
    Div = function(el)
      if not el.classes:includes("provenance") then return nil end
      if is_typst() then
        local out = pandoc.List({ pandoc.RawBlock("typst", "#block(above: 0.4em, below: 1.2em)[#set par(justify: false)\n#set text(size: 8.5pt)") })
        out:extend(el.content)
        out:insert(pandoc.RawBlock("typst", "]"))
        return out
      end
      return nil
    end,
  })
end

-- Typst: a table short enough to fit on one page is never split (no caption or single row
-- left behind at the bottom of a page); longer tables may break between rows, never after
-- fewer than a few rows (`needspace` in template.typst).
-- (A taller kept-together table would leave a near-blank page before it; up to 15 rows of
-- wrapped text still fit in the space a page usually has left.)
local KEEP_TOGETHER_ROWS = 15
local function typst_keep_tables(blocks)
  return blocks:walk({
    Table = function(el)
      local rows = 0
      for _, body in ipairs(el.bodies) do rows = rows + #body.body end
      if rows > KEEP_TOGETHER_ROWS then
        -- A long table may break between rows, but not right after its caption or first row:
        -- when less than the template's `table-start` height is left, it starts on a new page.
        return { pandoc.RawBlock("typst", "#needspace(table-start)"), el }
      end
      return { pandoc.RawBlock("typst", "#[#show figure: set block(breakable: false)"), el,
               pandoc.RawBlock("typst", "]") }
    end,
  })
end

local function typst_images(blocks)
  return blocks:walk({
    Image = function(el)
      if not el.src:match("^/") and not el.src:match("^%a+:") then
        el.src = "/" .. el.src
      end
      return el
    end,
  })
end

function Pandoc(doc)
  local blocks = provenance(filter_divs(doc.blocks))
  if is_typst() then
    blocks = typst_appendix_numbering(typst_keep_tables(typst_images(blocks)))
  elseif is_html() then
    blocks = number_html_headings(blocks)
  end
  doc.blocks = blocks
  return doc
end
