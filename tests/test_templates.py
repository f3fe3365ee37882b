"""Template views: masked text the parsers read, with exact expression, comment and
conditional ranges for every dialect."""
import time

import pytest

from scanner.static.templates import dialects_for, template_view


def view_of(text, path):
    view = template_view(text, dialects_for(path))
    assert len(view.masked) == len(text)
    return view


def expressions(text, view):
    return [text[s:e] for s, e in view.expressions]


def comments(text, view):
    return [text[s:e] for s, e in view.comments]


def conditionals(text, view):
    return [(text[c.start:c.end], c.condition) for c in view.conditionals]


def kept_lines(text, view):
    """Masking never moves a line break."""
    return [i for i, ch in enumerate(text) if ch in "\r\n"] == [i for i, ch in enumerate(view.masked) if ch in "\r\n"]


@pytest.mark.parametrize("path, dialects", [
    ("templates/base.html", {"jinja", "handlebars"}),
    ("INDEX.HTM", {"jinja", "handlebars"}),
    ("theme/layout/theme.liquid", {"jinja"}),
    ("a.njk", {"jinja"}), ("a.j2", {"jinja"}), ("a.jinja", {"jinja"}), ("page.html.twig", {"jinja"}),
    ("a.hbs", {"handlebars"}), ("a.handlebars", {"handlebars"}), ("a.mustache", {"handlebars"}),
    ("index.php", {"php"}),
    ("resources/views/welcome.blade.php", {"blade", "php"}),
    ("app/views/layouts/application.html.erb", {"erb"}),
    ("templates/header.tpl", {"smarty"}),
    ("page.ftl", {"freemarker"}),
    ("Views/Shared/_Layout.cshtml", {"razor"}),
    ("layout.gohtml", {"go"}), ("base.tmpl", {"go"}),
    ("app/views/partials/piwik.volt", {"jinja"}), ("layout/_partials/head.swig", {"jinja"}),
    ("grails-app/views/common/_hotjar.gsp", {"freemarker"}), ("WEB-INF/jsp/head.jsp", {"freemarker", "erb"}),
    ("lib/app_web/templates/layout/root.html.heex", {"erb"}),
    ("app.js", set()), ("component.vue", set()),
])
def test_dialects_by_extension(path, dialects):
    assert dialects_for(path) == frozenset(dialects)


def test_expression_glued_to_a_tag_name_prints_attributes_and_is_blanked():
    text = "<script{{ pjax }}>gtag('config', '{{ id }}');</script>"
    view = view_of(text, "google-analytics.swig")
    assert view.masked.startswith("<script          >")
    assert expressions(text, view) == ["{{ id }}"]


def test_tag_opener_kept_apart_by_template_syntax_rejoins_its_name():
    text = "<{if $debug} {/if}script>ga('create', '{$id}');<{if $debug} {/if}/script> a < b"
    view = view_of(text, "analytics.tpl")
    assert view.masked.split("ga(")[0] == " " * 17 + "<script>"
    assert view.masked.endswith(" " * 17 + "</script> a < b")


def test_plain_text_is_returned_unchanged():
    text = "<p>No template here, {just braces} and 50% off</p>" * 100
    view = template_view(text, dialects_for("a.html"))
    assert view.masked is text
    assert (view.expressions, view.comments, view.conditionals) == ((), (), ())


def test_jinja_expressions_tags_and_comments():
    text = ("<script>fbq('init', '{{ settings.meta_pixel_id }}');</script>\n"
            "{% load static %}{# fbq('track', 'Lead') #}\n"
            "{%- if consent -%}A{% elif region == 'eu' %}B{% else %}C{% endif %}")
    view = view_of(text, "base.html")
    assert expressions(text, view) == ["{{ settings.meta_pixel_id }}"]
    assert view.masked.startswith("<script>fbq('init', '____________________________');</script>\n")
    assert comments(text, view) == ["{# fbq('track', 'Lead') #}"]
    # only the comment's delimiters go; its content stays for the analyzers
    assert "   fbq('track', 'Lead')   " in view.masked
    assert conditionals(text, view) == [("A", "consent"), ("B", "!(consent) && region == 'eu'"),
                                        ("C", "!(consent) && !(region == 'eu')")]
    assert "{%" not in view.masked and "load static" not in view.masked
    assert kept_lines(text, view)


def test_django_comment_block_keeps_content_and_masks_inside():
    text = "{% comment %}\n<script>fbq('init', '{{ pixel }}')</script>\n{% endcomment %}after"
    view = view_of(text, "base.html")
    assert comments(text, view) == [text[:-len("after")]]
    assert expressions(text, view) == ["{{ pixel }}"]
    assert "<script>fbq('init', '___________')</script>" in view.masked
    assert view.is_commented(text.index("fbq"))
    assert not view.is_commented(text.index("after"))


def test_raw_blocks_are_literal():
    text = "{% raw %}{{ vue_binding }}{% endraw %}{% verbatim %}{% if x %}{% endverbatim %}"
    view = view_of(text, "base.html")
    assert view.expressions == () and view.conditionals == ()
    assert "{{ vue_binding }}" in view.masked and "{% if x %}" in view.masked


def test_nested_ifs_are_outermost_first():
    text = "{% if a %}x{% if b %}y{% endif %}z{% else %}w{% endif %}"
    view = view_of(text, "t.j2")
    assert conditionals(text, view) == [("x{% if b %}y{% endif %}z", "a"), ("y", "b"), ("w", "!(a)")]
    assert view.conditions_at(text.index("y")) == ("a", "b")
    assert view.conditions_at(text.index("w")) == ("!(a)",)


def test_liquid_unless_and_for_else_do_not_confuse_if_branches():
    text = ("{% if shop %}{% for p in ps %}{{ p }}{% else %}none{% endfor %}"
            "{% unless hide %}U{% else %}H{% endunless %}{% endif %}")
    view = view_of(text, "theme.liquid")
    assert conditionals(text, view) == [(text[len("{% if shop %}"):-len("{% endif %}")], "shop"),
                                        ("U", "!(hide)"), ("H", "hide")]


def test_handlebars_blocks_comments_and_triple_stash():
    text = ("{{!-- {{#if x}} --}}{{! note }}{{#if a}}A{{else if b}}B{{else}}C{{/if}}"
            "{{#unless u}}U{{/unless}}{{^empty}}E{{/empty}}{{#each items}}I{{else}}none{{/each}}"
            "{{{html}}}{{> footer}}{{id}}")
    view = view_of(text, "t.hbs")
    assert comments(text, view) == ["{{!-- {{#if x}} --}}", "{{! note }}"]
    assert expressions(text, view) == ["{{{html}}}", "{{id}}"]
    assert conditionals(text, view) == [("A", "a"), ("B", "!(a) && b"), ("C", "!(a) && !(b)"),
                                        ("U", "!(u)"), ("E", "!(empty)")]
    assert "footer" not in view.masked


def test_php_tags():
    text = ("<?php if ($pixel_on): ?><script>fbq('init', '<?= $pixel_id ?>');</script>"
            "<?php elseif ($other): ?>B<?php else: ?>C<?php endif; ?>"
            "<?php /* fbq('track', 'Lead'); */ ?><?php echo esc_js($x); ?>"
            "<?php if ($y) { ?>Y<?php } ?><?xml version='1.0'?>")
    view = view_of(text, "index.php")
    assert expressions(text, view) == ["<?= $pixel_id ?>", "<?php echo esc_js($x); ?>"]
    assert comments(text, view) == ["<?php /* fbq('track', 'Lead'); */ ?>"]
    assert " fbq('track', 'Lead'); " in view.masked
    assert conditionals(text, view) == [
        (text[text.index("<script>"):text.index("<?php elseif")], "$pixel_on"),
        ("B", "!($pixel_on) && $other"), ("C", "!($pixel_on) && !($other)"), ("Y", "$y")]
    assert view.masked.endswith("<?xml version='1.0'?>")


def test_php_file_ending_in_code_is_masked_to_the_end():
    text = "<p>x</p><?php\n$a = 1;\n"
    view = view_of(text, "index.php")
    assert view.masked == "<p>x</p>     \n       \n"


def test_markup_written_raw_inside_php_code_stays_visible_and_inactive():
    text = ("<?php\n/* prints <head> code */\nfunction head() {\n"
            "\t$s = '<script>no</script>'; // <b>\n"
            "\t<!-- pixel --> <script>\n\tfbq('init', '1');\n\t</script>\n"
            "\t<noscript><img\n\t src=\"x\"/></noscript>\n}\nadd_action('wp_head', 'head');\n")
    view = view_of(text, "functions.php")
    markup = text[text.index("\t<!--"):text.index("</noscript>") + len("</noscript>")]
    assert comments(text, view) == [markup]
    assert markup in view.masked
    assert "no</script>" not in view.masked and "add_action" not in view.masked and "<head>" not in view.masked
    assert kept_lines(text, view)


def test_blade_directives_and_echoes():
    text = ("@if($settings->meta) <script>fbq('init', '{{ $pixelId }}', @json($user));</script> "
            "@elseif(config('x')) B @else C @endif {!! $raw !!} {{-- @if(no) --}} @{{ vueExpr }} "
            "mail@example.com @unless($off) U @endunless @auth A @endauth @env('production') P @endenv"
            " <?php echo $legacy; ?>")
    view = view_of(text, "welcome.blade.php")
    assert expressions(text, view) == ["{{ $pixelId }}", "@json($user)", "{!! $raw !!}", "<?php echo $legacy; ?>"]
    assert comments(text, view) == ["{{-- @if(no) --}}"]
    assert "@{{ vueExpr }}" in view.masked and "mail@example.com" in view.masked
    assert conditionals(text, view) == [
        (text[len("@if($settings->meta)"):text.index("@elseif")], "$settings->meta"),
        (" B ", "!($settings->meta) && config('x')"), (" C ", "!($settings->meta) && !(config('x'))"),
        (" U ", "!($off)"), (" A ", "auth"), (" P ", "env('production')")]


def test_blade_php_and_verbatim_blocks():
    text = "@php $id = 1; @endphp @verbatim {{ x }} @endverbatim"
    view = view_of(text, "a.blade.php")
    assert view.expressions == ()
    assert view.masked.strip() == "{{ x }}"


def test_erb_and_ejs():
    text = ("<% if pixel_enabled? %><script>fbq('init', '<%= @pixel_id %>')</script><% elsif x %>B"
            "<% else %>C<% end %><%# fbq('track') %><% items.each do |i| %><%= i %><% end %>"
            "<%- if (a) { -%>J<% } else { %>K<% } %><%- include('x') %><%% literal %>")
    view = view_of(text, "a.html.erb")
    assert expressions(text, view) == ["<%= @pixel_id %>", "<%= i %>", "<%- include('x') %>"]
    assert comments(text, view) == ["<%# fbq('track') %>"]
    assert conditionals(text, view) == [
        (text[len("<% if pixel_enabled? %>"):text.index("<% elsif")], "pixel_enabled?"),
        ("B", "!(pixel_enabled?) && x"), ("C", "!(pixel_enabled?) && !(x)"), ("J", "a"), ("K", "!(a)")]
    assert "<%% literal %>" in view.masked


def test_smarty_tags_but_never_javascript_braces():
    script = "<script>function f(){ return {a: 1}; } if (x) {y()} var o = {$el: 1, if: 2};{for (;;) {}}</script>"
    text = ("{* fbq('track', 'Lead') *}" + script +
            "<script>fbq('init', '{$pixel_id|escape}');</script>{if $on}A{elseif $b}B{else}C{/if}"
            "{literal}{$notATag}{/literal}{ldelim}x{rdelim}{foreach $xs as $x}{$x}{foreachelse}none{/foreach}")
    view = view_of(text, "header.tpl")
    assert script in view.masked
    assert comments(text, view) == ["{* fbq('track', 'Lead') *}"]
    assert expressions(text, view) == ["{$pixel_id|escape}", "{$x}"]
    assert conditionals(text, view) == [("A", "$on"), ("B", "!($on) && $b"), ("C", "!($on) && !($b)")]
    assert "{$notATag}" in view.masked
    assert "{" + " " * 7 + "x}" + " " * 7 in view.masked  # {ldelim} / {rdelim} print braces


def test_freemarker():
    text = ("<#-- <script>fbq()</script> --><script>fbq('init', '${pixelId}');</script>"
            "<#if (count > 1)>A<#elseif other>B<#else>C</#if><#list xs as x>${x}<#else>none</#list>"
            "<#assign y = 2><@macro x/>")
    view = view_of(text, "page.ftl")
    assert comments(text, view) == ["<#-- <script>fbq()</script> -->"]
    assert expressions(text, view) == ["${pixelId}", "${x}"]
    assert conditionals(text, view) == [("A", "(count > 1)"), ("B", "!((count > 1)) && other"),
                                        ("C", "!((count > 1)) && !(other)")]
    assert "assign" not in view.masked and "macro" not in view.masked


def test_razor():
    text = ("@model ShopModel\n@* fbq('track', 'Lead') *@"
            "<script>fbq('init', '@Model.Settings.PixelId'); var u = @Html.Raw(Json.Serialize(Model.User));</script>"
            "@if (Model.Tracking) { <p>@(Model.Total * 2)</p> } else if (Model.Eu) { B } else { C }"
            " me@example.com <style>@@media print {} @media print {}</style>"
            "@foreach (var i in Model.Items) { @if (i.On) {I} }")
    view = view_of(text, "_Layout.cshtml")
    assert view.masked.startswith(" " * len("@model ShopModel") + "\n")
    assert comments(text, view) == ["@* fbq('track', 'Lead') *@"]
    assert expressions(text, view) == ["@Model.Settings.PixelId", "@Html.Raw(Json.Serialize(Model.User))",
                                       "@(Model.Total * 2)"]
    assert conditionals(text, view) == [
        (" <p>@(Model.Total * 2)</p> ", "Model.Tracking"), (" B ", "!(Model.Tracking) && Model.Eu"),
        (" C ", "!(Model.Tracking) && !(Model.Eu)"), ("I", "i.On")]
    assert "me@example.com" in view.masked and "@media print" in view.masked


def test_go_templates():
    text = ("{{/* fbq('track') */}}<script>fbq('init', '{{ .PixelID }}')</script>"
            "{{- if .On -}}A{{ else if .B }}B{{ else }}C{{ end }}{{ range .Xs }}{{ if .Y }}y{{ end }}{{ end }}")
    view = view_of(text, "layout.gohtml")
    assert comments(text, view) == ["{{/* fbq('track') */}}"]
    assert " fbq('track') " in view.masked
    assert expressions(text, view) == ["{{ .PixelID }}"]
    assert conditionals(text, view) == [("A", ".On"), ("B", "!(.On) && .B"), ("C", "!(.On) && !(.B)"),
                                        ("y", ".Y")]


@pytest.mark.parametrize("path, text", [
    ("a.html", "{% if a %}{{ x {% endif %}{# open"),
    ("a.html", "{{#if a}}{{/each}}{% endif %}{% else %}"),
    ("a.php", "<?= $x <?php if ($a): ?>"),
    ("a.blade.php", "@if($a @endif @elseif( {{ x"),
    ("a.erb", "<% if x %><%= y"),
    ("a.tpl", "{if $a}{$b {/foreach}{* open"),
    ("a.ftl", "<#if a ${x <#else>"),
    ("a.cshtml", "@if (a) { @foreach (x) { @Model.X( @{ @* x"),
    ("a.gohtml", "{{ if .A }}{{ end }}{{ end }}{{ else }}{{/* x"),
])
def test_broken_syntax_never_raises(path, text):
    for cut in range(len(text) + 1):
        view = view_of(text[:cut], path)
        for c in view.conditionals:
            assert 0 <= c.start <= c.end <= cut
        for s, e in view.expressions + view.comments:
            assert 0 <= s < e <= cut


def test_unclosed_block_ends_at_end_of_text():
    text = "{% if a %}<script>fbq('track', 'Lead')</script>"
    view = view_of(text, "a.html")
    assert conditionals(text, view) == [(text[len("{% if a %}"):], "a")]


def test_big_file_is_fast():
    chunk = ("<div class=\"p\">{{ product.title }} {% if user %}<a href=\"/u/{{ user.id }}\">hi</a>"
             "{% else %}login{% endif %}</div>\n<script>function f(){ return {a: 1}; }</script>\n")
    text = chunk * 20000  # about 3 MB
    started = time.perf_counter()
    view = template_view(text, dialects_for("page.html"))
    elapsed = time.perf_counter() - started
    assert len(view.masked) == len(text)
    assert len(view.expressions) == 40000 and len(view.conditionals) == 40000
    assert elapsed < 10


def test_many_unclosed_openers_stay_linear():
    text = "{{ {% {# <?php <% @if( @Model( ${ <#if @if (x) { " * 20000
    started = time.perf_counter()
    for path in ("a.html", "a.php", "a.erb", "a.cshtml", "a.ftl", "a.blade.php", "a.tpl"):
        assert len(template_view(text, dialects_for(path)).masked) == len(text)
    assert time.perf_counter() - started < 15
